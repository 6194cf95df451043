using System.Diagnostics;
using ElfActors.Tests.Docs;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// The install, upgrade and uninstall steps of the README, run exactly as written (the README's blocks are read and run
/// by bash) in a fresh HOME with an empty NuGet cache, so no package from an earlier run can be picked up; and the
/// self-contained release layout, run where no .NET is on the PATH. In the published-elf collection: they build the
/// Release configuration, which must not run beside the fixture's publish.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "Packaging")]
public sealed class PackagingTests : IDisposable
{
    private static readonly string Repository = PublishedElf.FindRepository();
    private readonly string _home = Directory.CreateTempSubdirectory("elf-install-home-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string ReadmeBlock(string containing) =>
        MarkdownBlock.Read(Path.Combine(Repository, "README.md")).Single(b => b.Language == "sh" && b.Text.Contains(containing, StringComparison.Ordinal)).Text;

    private async Task<ProcessResult> BashAsync(string script, IDictionary<string, string>? environment = null, string? path = null)
    {
        var start = new ProcessStartInfo("bash", ["-c", "set -euo pipefail\n" + script])
        {
            WorkingDirectory = Repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["HOME"] = _home;
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_home, "nuget-packages"); // an empty cache
        start.Environment["PATH"] = path ?? Path.Combine(_home, ".dotnet", "tools") + ":" + Environment.GetEnvironmentVariable("PATH");
        foreach (var variable in new[] { "ELF_BASE_PATH", "ELF_NODE", "DOTNET_CLI_HOME", "ELF_REPORTED_VERSION" }) start.Environment.Remove(variable);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private static string Release(string version) => version.Split('+', '-')[0];

    [Fact]
    public async Task The_readmes_install_update_and_uninstall_steps_work_from_an_empty_package_cache()
    {
        var current = Release(ElfVersion.Current);
        var parts = current.Split('.').Select(int.Parse).ToArray();
        var bumped = $"{parts[0]}.{parts[1]}.{parts[2] + 1}";
        foreach (var old in Directory.Exists(Path.Combine(Repository, "artifacts")) ? Directory.GetFiles(Path.Combine(Repository, "artifacts"), "ElfActors*.nupkg") : [])
            File.Delete(old);
        var memory = Path.Combine(_home, ".claude", "emergent-learning");

        var install = await BashAsync(ReadmeBlock("dotnet tool install"), new Dictionary<string, string> { ["VERSION"] = current });
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.True(File.Exists(Path.Combine(_home, ".dotnet", "tools", "elf")), "elf is not in ~/.dotnet/tools");
        var first = await BashAsync("elf --version && elf record-failure --title 'Installed as a tool' --domain packaging && elf flush");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.StartsWith(current + "+", first.Stdout);

        var update = await BashAsync(ReadmeBlock("dotnet tool update"), new Dictionary<string, string> { ["VERSION"] = bumped });
        Assert.True(update.ExitCode == 0, update.ToString());
        var second = await BashAsync("elf --version && elf record-failure --title 'After the update' --domain packaging && elf flush");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.StartsWith(bumped + "+", second.Stdout);
        Assert.Contains("older than this elf", second.Stderr); // the 0.x.y host was replaced by the bumped one

        Assert.Equal(2, Tools.SqliteScalar(Path.Combine(memory, "memory", "index.db"), "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(0, Tools.SqliteScalar(Path.Combine(memory, "memory", "index.db"), "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        Assert.Equal(2, Tools.Git(memory, "log", "--format=%(trailers:key=Elf-Record,valueonly)").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var uninstall = await BashAsync(ReadmeBlock("dotnet tool uninstall"));
        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.False(File.Exists(Path.Combine(_home, ".dotnet", "tools", "elf")));
        Assert.NotEqual(0, (await BashAsync("command -v elf")).ExitCode);
    }

    [Fact]
    public async Task The_self_contained_linux_x64_layout_records_where_no_dotnet_is_on_the_path()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
            return; // scripts/release builds Native AOT for this machine's OS and architecture only
        var release = await BashAsync("scripts/release linux-x64");
        Assert.True(release.ExitCode == 0, release.ToString());
        var layout = Path.Combine(Repository, "artifacts", "release", $"elfactors-{Release(ElfVersion.Current)}-linux-x64");
        Assert.True(File.Exists(Path.Combine(layout, "elf")) && File.Exists(Path.Combine(layout, "elf-host")), layout);
        // A PATH with the layout and the few programs a machine without .NET has (git for the host, a shell).
        var programs = Directory.CreateDirectory(Path.Combine(_home, "bin")).FullName;
        foreach (var program in new[] { "git", "bash", "sh", "env" })
            File.CreateSymbolicLink(Path.Combine(programs, program), Tools.Run("bash", _home, "-c", "command -v " + program).Stdout.Trim());

        var result = await BashAsync(
            "! command -v dotnet && elf record-failure --title 'Without the SDK' --domain release && elf flush && elf stop",
            new Dictionary<string, string> { ["DOTNET_ROOT"] = "/nonexistent" }, path: layout + ":" + programs);

        Assert.True(result.ExitCode == 0, result.ToString());
        var memory = Path.Combine(_home, ".claude", "emergent-learning");
        Assert.Equal(1, Tools.SqliteScalar(Path.Combine(memory, "memory", "index.db"), "SELECT COUNT(*) FROM learnings"));
        Assert.Contains("Without the SDK", Tools.Git(memory, "log", "--format=%B"));
    }
}
