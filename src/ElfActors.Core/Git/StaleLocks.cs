namespace ElfActors.Core.Git;

/// <summary>
/// Git never removes a lock file its crashed process left behind (<c>.git/index.lock</c>,
/// <c>refs/heads/&lt;branch&gt;.lock</c>). One may be removed only when it is old and no process holds it open;
/// a lock a live git holds means wait.
/// </summary>
public static class StaleLocks
{
    /// <summary>Removes the lock if it is older than <paramref name="minimumAge"/> and no process has it open.</summary>
    public static bool TryRemove(string lockPath, TimeSpan minimumAge, DateTimeOffset now, out string reason)
    {
        var info = new FileInfo(lockPath);
        if (!info.Exists)
        {
            reason = "gone already";
            return true;
        }
        var age = now - info.LastWriteTimeUtc;
        if (age < minimumAge)
        {
            reason = $"only {age.TotalSeconds:0}s old";
            return false;
        }
        if (HolderOf(lockPath) is { } pid)
        {
            reason = $"held open by process {pid}";
            return false;
        }
        if (!OperatingSystem.IsLinux())
        {
            reason = "cannot tell whether a process holds it on this system";
            return false;
        }
        File.Delete(lockPath);
        reason = $"{age.TotalSeconds:0}s old and no process holds it";
        return true;
    }

    /// <summary>A process that has the file open, found through /proc (Linux), or null.</summary>
    public static int? HolderOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var full = Path.GetFullPath(path);
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), out var pid)) continue;
            string[] descriptors;
            try
            {
                descriptors = Directory.GetFiles(Path.Combine(process, "fd"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var descriptor in descriptors)
            {
                try
                {
                    if (new FileInfo(descriptor).LinkTarget is { } target && target == full) return pid;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        return null;
    }
}
