namespace ElfActors.Core.Git;

/// <summary>
/// Git never removes a lock file its crashed process left behind (<c>.git/index.lock</c>,
/// <c>refs/heads/&lt;branch&gt;.lock</c>). One may be removed only when no live process can be holding it: none
/// has it open, and no git process runs in the repository. The second matters as much as the first: a person's
/// `git commit` waiting in an editor holds index.lock with no open descriptor, for as long as the editor is open.
/// Age is only a grace period on top (a git that has just created the lock), never a reason on its own.
/// </summary>
public static class StaleLocks
{
    /// <summary>Removes the lock if it is older than <paramref name="minimumAge"/> and no live process can hold it.</summary>
    public static bool TryRemove(string lockPath, TimeSpan minimumAge, DateTimeOffset now, out string reason) =>
        TryRemove(lockPath, minimumAge, now, out reason, out _);

    /// <param name="holder">The process that may hold the lock, when one was found.</param>
    public static bool TryRemove(string lockPath, TimeSpan minimumAge, DateTimeOffset now, out string reason, out LockHolder? holder)
    {
        holder = null;
        var info = new FileInfo(lockPath);
        if (!info.Exists)
        {
            reason = "gone already";
            return true;
        }
        if (!OperatingSystem.IsLinux())
        {
            reason = "cannot tell whether a process holds it on this system";
            return false;
        }
        holder = PossibleHolder(lockPath);
        if (holder is { } found)
        {
            reason = $"held by {found}";
            return false;
        }
        var age = now - info.LastWriteTimeUtc;
        if (age < minimumAge)
        {
            reason = $"only {age.TotalSeconds:0}s old";
            return false;
        }
        File.Delete(lockPath);
        reason = $"{age.TotalSeconds:0}s old, no process has it open and no git runs in the repository";
        return true;
    }

    /// <summary>A process that has the file open, found through /proc (Linux), or null.</summary>
    public static int? HolderOf(string path) => OpenedBy(Path.GetFullPath(path))?.Pid;

    /// <summary>
    /// A live process that has the lock open, or a git process whose working folder is in the lock's repository
    /// (the worktree above the <c>.git</c> folder the lock is in, or that folder itself); null when there is none.
    /// </summary>
    public static LockHolder? PossibleHolder(string lockPath)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var full = Path.GetFullPath(lockPath);
        return OpenedBy(full) ?? GitRunningIn(RepositoryRoots(full));
    }

    private static LockHolder? OpenedBy(string full)
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var (pid, process) in Processes())
        {
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
                    if (new FileInfo(descriptor).LinkTarget is { } target && target == full) return new LockHolder(pid, GitProcesses.CommandOf(pid), "has it open");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        return null;
    }

    private static LockHolder? GitRunningIn(IReadOnlyList<string> roots) =>
        GitProcesses.FirstRunningIn(roots) is { } pid ? new LockHolder(pid, GitProcesses.CommandOf(pid), "is a git running in the repository") : null;

    /// <summary>
    /// The repository folders of a lock: in <c>…/.git/…</c> the .git folder and the worktree above it; in a bare
    /// repository (a remote on this machine) the folder that holds <c>HEAD</c>, <c>objects</c> and <c>refs</c>.
    /// </summary>
    private static IReadOnlyList<string> RepositoryRoots(string lockPath)
    {
        for (var directory = Path.GetDirectoryName(lockPath); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (Path.GetFileName(directory) == ".git")
                return Path.GetDirectoryName(directory) is { } worktree ? [directory, worktree] : [directory];
        }
        for (var directory = Path.GetDirectoryName(lockPath); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "HEAD")) && Directory.Exists(Path.Combine(directory, "objects")) && Directory.Exists(Path.Combine(directory, "refs")))
                return [directory];
        }
        return [Path.GetDirectoryName(lockPath)!];
    }

    private static IEnumerable<(int Pid, string Folder)> Processes()
    {
        foreach (var process in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(process), out var pid)) yield return (pid, process);
    }
}

/// <summary>A live process that may hold a git lock, and why it is taken for its holder.</summary>
public sealed record LockHolder(int Pid, string Command, string Why)
{
    public override string ToString() => $"pid {Pid} ({Command}, which {Why})";
}
