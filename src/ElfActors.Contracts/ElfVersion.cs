using System.Reflection;

namespace ElfActors.Contracts;

/// <summary>
/// The version of ElfActors this process was built as (the assemblies' informational version, e.g.
/// <c>0.3.0+28bd25a…</c>), which the client and the host exchange on every request (docs/adr/0024).
/// </summary>
public static class ElfVersion
{
    /// <summary>
    /// Makes this process report another version: how the tests run "an older host" without building one. Not for
    /// production use; documented in docs/cli.md.
    /// </summary>
    public const string OverrideVariable = "ELF_REPORTED_VERSION";

    /// <remarks>
    /// The build's informational version is a constant written at build time (ElfBuildVersion, from the same MSBuild
    /// property as <see cref="AssemblyInformationalVersionAttribute"/>): reading the attribute by reflection started
    /// Native AOT's metadata reader in every `elf` process (docs/adr/0061).
    /// </remarks>
    public static string Current { get; } =
        Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } reported ? reported : ElfBuildVersion.Informational;

    /// <summary>
    /// Orders two versions by their release part (before any <c>-</c> or <c>+</c>), component by component; builds of one
    /// release (different commits) compare equal, so a rebuilt client does not restart a host of the same release.
    /// </summary>
    public static int Compare(string a, string b)
    {
        var left = Release(a);
        var right = Release(b);
        for (var i = 0; i < Math.Max(left.Length, right.Length); i++)
        {
            var difference = (i < left.Length ? left[i] : 0).CompareTo(i < right.Length ? right[i] : 0);
            if (difference != 0) return difference;
        }
        return 0;
    }

    private static long[] Release(string version)
    {
        var end = version.IndexOfAny(['-', '+']);
        var release = end < 0 ? version : version[..end];
        return release.Split('.').Select(part => long.TryParse(part, out var n) ? n : 0).ToArray();
    }
}
