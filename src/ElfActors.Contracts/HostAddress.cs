using System.Security.Cryptography;
using System.Text;

namespace ElfActors.Contracts;

/// <summary>
/// Where the host of a memory listens. On Linux a .NET named pipe is a Unix socket whose path may not exceed
/// 108 bytes, so the name is a short hash of the user and the memory's full path, in /tmp (not $TMPDIR,
/// which a host started by an orchestrator and a client started by an agent may not share).
/// </summary>
public static class HostAddress
{
    public static string PipeName(MemoryPaths paths)
    {
        var key = Environment.UserName + "\0" + paths.BasePath.TrimEnd(Path.DirectorySeparatorChar);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..20];
        return OperatingSystem.IsWindows() ? "elf-" + hash : "/tmp/elf-" + hash + ".sock";
    }

    /// <summary>The host's exclusive lock: held for as long as a host serves this memory.</summary>
    public static string LockFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, "host.lock");

    /// <summary>The pid of the host holding the lock, for messages.</summary>
    public static string PidFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, "host.pid");

    /// <summary>Taken by clients that start a host, so that many racing clients start one.</summary>
    public static string StartLockFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, "start.lock");

    /// <summary>Where a host started in the background writes its log.</summary>
    public static string LogFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, "host.log");
}
