using ElfActors.Tests.Support;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// Real file-system faults for root, who ignores permission bits: the immutable attribute (chattr +i) and a
/// tiny tmpfs. Tests that need them are skipped, saying why, on a machine that does not allow them.
/// </summary>
public static class FileSystemFaults
{
    private static readonly Lazy<string?> ImmutableUnavailable = new(() => Probe(dir =>
    {
        var file = Path.Combine(dir, "probe");
        File.WriteAllText(file, "");
        if (Tools.Run("chattr", dir, "+i", file).ExitCode != 0) return "chattr +i is not permitted here";
        try
        {
            File.WriteAllText(file, "x");
            return "chattr +i does not stop writes here";
        }
        catch (UnauthorizedAccessException) { return null; }
        catch (IOException) { return null; }
        finally { Tools.Run("chattr", dir, "-i", file); }
    }));

    private static readonly Lazy<string?> TmpfsUnavailable = new(() => Probe(dir =>
    {
        var mount = Path.Combine(dir, "mnt");
        Directory.CreateDirectory(mount);
        if (Tools.Run("mount", dir, "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount).ExitCode != 0) return "mounting a tmpfs is not permitted here";
        Tools.Run("umount", dir, mount);
        return null;
    }));

    public static string? WhyNoImmutable => ImmutableUnavailable.Value;
    public static string? WhyNoTmpfs => TmpfsUnavailable.Value;

    public static void Immutable(string path, bool on) =>
        Assert.Equal(0, Tools.Run("chattr", "/", on ? "+i" : "-i", path).ExitCode);

    private static string? Probe(Func<string, string?> probe)
    {
        var dir = Path.Combine(Path.GetTempPath(), "elf-fs-probe-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            return OperatingSystem.IsLinux() ? probe(dir) : "Linux only";
        }
        catch (Exception e)
        {
            return e.Message;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>A fact that needs chattr +i.</summary>
public sealed class ImmutableFactAttribute : FactAttribute
{
    public ImmutableFactAttribute()
    {
        if (FileSystemFaults.WhyNoImmutable is { } why) Skip = why;
    }
}

/// <summary>A fact that needs to mount a tmpfs.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (FileSystemFaults.WhyNoTmpfs is { } why) Skip = why;
    }
}
