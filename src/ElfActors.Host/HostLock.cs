using System.Collections.Concurrent;
using System.Globalization;

namespace ElfActors.Host;

/// <summary>
/// One host per memory: an exclusive lock on <c>&lt;runtime folder&gt;/&lt;key&gt;.lock</c>, taken before the socket
/// opens and held for the host's life, beside the pid record <c>&lt;key&gt;.pid</c> through which clients find a host
/// whose socket is gone. The key is the memory's real identity (<see cref="HostAddress.Key"/>): a symlinked path or a
/// bind mount of the same memory meets the same lock, and neither `git clean -fdx` nor a re-clone can remove it
/// (docs/adr/0015). The operating system releases the lock when the process dies, even by kill -9. (On Linux,
/// .NET's FileShare.None is an flock.) Both files are 0600, the folder 0700, whatever the umask.
/// </summary>
public sealed class HostLock : IDisposable
{
    private static readonly ConcurrentDictionary<string, HostLock> HeldHere = new();
    private readonly FileStream _lock;
    private readonly string _pidFile;
    private readonly string _key;

    private HostLock(FileStream @lock, string pidFile, string key)
    {
        _lock = @lock;
        _pidFile = pidFile;
        _key = key;
    }

    /// <summary>Whether this process already holds the memory's lock (an embedding host that also serves the pipe).</summary>
    public static bool HeldByThisProcess(MemoryPaths paths) => HeldHere.ContainsKey(paths.BasePath);

    /// <summary>Takes the lock; false with the holder when another process has it. Throws <see cref="HostAddressException"/> when the runtime folder is unsafe.</summary>
    public static bool TryAcquire(MemoryPaths paths, out HostLock? hostLock, out string? holder)
    {
        // The key is the base folder's identity: it must exist before the key is taken.
        Directory.CreateDirectory(paths.BasePath);
        HostAddress.EnsureRuntimeDirectory();
        hostLock = null;
        holder = null;
        try
        {
            var stream = new FileStream(HostAddress.LockFile(paths), PrivateFile(FileMode.OpenOrCreate, FileShare.None));
            HostAddress.MakePrivate(HostAddress.LockFile(paths));
            var pidFile = HostAddress.PidFile(paths);
            using (var pid = new FileStream(pidFile, PrivateFile(FileMode.Create, FileShare.Read)))
            using (var writer = new StreamWriter(pid))
                writer.Write(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            HostAddress.MakePrivate(pidFile);
            hostLock = new HostLock(stream, pidFile, paths.BasePath);
            HeldHere[paths.BasePath] = hostLock;
            return true;
        }
        catch (IOException)
        {
            holder = ReadHolder(paths);
            return false;
        }
    }

    private static FileStreamOptions PrivateFile(FileMode mode, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.ReadWrite, Share = share };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    private static string ReadHolder(MemoryPaths paths)
    {
        try
        {
            var pid = File.ReadAllText(HostAddress.PidFile(paths)).Trim();
            return pid.Length > 0 ? "pid " + pid : "another process";
        }
        catch (IOException)
        {
            return "another process";
        }
    }

    public void Dispose()
    {
        HeldHere.TryRemove(_key, out _);
        try { File.Delete(_pidFile); } catch (IOException) { }
        _lock.Dispose();
    }
}
