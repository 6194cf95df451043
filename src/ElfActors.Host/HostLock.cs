using System.Collections.Concurrent;
using System.Globalization;

namespace ElfActors.Host;

/// <summary>
/// One host per memory: an exclusive lock on <c>memory/.elf/host.lock</c>, taken before the pipe opens and
/// held for the host's life. The operating system releases it when the process dies, even by kill -9.
/// (On Linux, .NET's FileShare.None is an flock; a second server on the same socket path would otherwise
/// silently take the pipe over.)
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

    public static bool TryAcquire(MemoryPaths paths, out HostLock? hostLock, out string? holder)
    {
        Directory.CreateDirectory(paths.StateDirectory);
        hostLock = null;
        holder = null;
        try
        {
            var stream = new FileStream(HostAddress.LockFile(paths), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            var pidFile = HostAddress.PidFile(paths);
            File.WriteAllText(pidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
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
