namespace ElfActors.Core.Files;

/// <summary>
/// A folder to watch: its own entries, or everything below it too; only the names given (none: every name). Entries
/// created, removed or renamed over are reported (git moves a ref, HEAD, the index or packed-refs by renaming its lock
/// over it); writes into a file only with <see cref="Writes"/> (SQLite writes its WAL in place).
/// </summary>
public sealed record WatchedFolder(string Path, bool Recursive, params string[] Names)
{
    public bool Writes { get; init; }
}

/// <summary>
/// Wakes its owner when something changes in a few folders, through the system's file notifications (inotify on
/// Linux: one shared instance and one thread blocked in read for every watcher of the process) instead of a timer that
/// looks again and again (docs/adr/0042). It is armed, then calls back once at the next change and waits to be armed
/// again: an owner arms it before it looks, so a change made while it looks is not missed, and its own writes while it
/// is busy cost nothing but the kernel's event. A watch that could not start, or that the system stopped (a watch limit
/// reached, a watched folder removed), is <see cref="Failed"/>: the owner falls back to looking now and then.
/// </summary>
public sealed class FolderWatch : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Action _changed;
    private readonly Action<string> _failed;
    private int _armed;
    private string? _failure;

    private FolderWatch(Action changed, Action<string> failed)
    {
        _changed = changed;
        _failed = failed;
    }

    /// <summary>Why the watch stopped (or never started), or null while it works.</summary>
    public string? Failed => Volatile.Read(ref _failure);

    /// <summary>
    /// Starts watching these folders. <paramref name="changed"/> runs on a thread-pool thread, once per <see cref="Arm"/>,
    /// at the first change after it; <paramref name="failed"/> runs once if the watch stops working (then
    /// <paramref name="changed"/> runs too, whether armed or not: what was missed must be looked at). A watch that cannot
    /// start at all is returned failed, and neither callback runs.
    /// </summary>
    public static FolderWatch Start(IReadOnlyList<WatchedFolder> folders, Action changed, Action<string> failed)
    {
        var watch = new FolderWatch(changed, failed);
        try
        {
            foreach (var folder in folders) watch._watchers.Add(watch.Watch(folder));
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // inotify's limit on instances (max_user_instances), a folder missing, a platform without notifications.
            watch._failure = e.Message;
            watch.DisposeWatchers();
        }
        return watch;
    }

    /// <summary>The next change calls back (once).</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

    private FileSystemWatcher Watch(WatchedFolder folder)
    {
        var watcher = new FileSystemWatcher(folder.Path)
        {
            IncludeSubdirectories = folder.Recursive,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | (folder.Writes ? NotifyFilters.LastWrite : 0),
        };
        foreach (var name in folder.Names) watcher.Filters.Add(name);
        watcher.Changed += (_, _) => Changed();
        watcher.Created += (_, _) => Changed();
        watcher.Deleted += (_, _) => Changed();
        watcher.Renamed += (_, _) => Changed();
        watcher.Error += (_, e) => Error(e.GetException());
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void Changed()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1) _changed();
    }

    private void Error(Exception e)
    {
        // Too many events at once (the kernel's queue overflowed): some were lost, not the watch. Look again.
        if (e is not InternalBufferOverflowException && Interlocked.CompareExchange(ref _failure, e.Message, null) is null) _failed(e.Message);
        Volatile.Write(ref _armed, 0);
        _changed();
    }

    private void DisposeWatchers()
    {
        foreach (var watcher in _watchers) watcher.Dispose();
        _watchers.Clear();
    }

    public void Dispose()
    {
        Volatile.Write(ref _armed, 0);
        DisposeWatchers();
    }
}
