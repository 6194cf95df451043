using System.IO.Hashing;
using System.Text;

namespace ElfActors.Contracts;

/// <summary>
/// Where the host of a memory listens. On Linux a .NET named pipe is a Unix socket whose path may not exceed
/// 108 bytes, so the name is a short hash of the user and the memory's full path, in /tmp (not $TMPDIR,
/// which a host started by an orchestrator and a client started by an agent may not share). The hash is XxHash128,
/// not SHA-256: it names a socket, guards nothing, and SHA-256 would load OpenSSL into every `elf` process
/// (a fifth of a client's CPU time; docs/adr/0009).
/// In cluster mode several hosts serve one memory, one per node: <see cref="Node"/> (the node's cluster port,
/// from $ELF_NODE for the client, from `elf serve --cluster-port` for the host) goes into the pipe's hash and
/// the names of the lock, pid and log files. Without a node everything is exactly as in single-node mode.
/// </summary>
public static class HostAddress
{
    public const string NodeVariable = "ELF_NODE";

    /// <summary>The cluster node this process serves or talks to; null in single-node mode (the default).</summary>
    public static string? Node { get; set; } = NormaliseNode(Environment.GetEnvironmentVariable(NodeVariable));

    public static string? NormaliseNode(string? node) => string.IsNullOrWhiteSpace(node) ? null : node.Trim();

    public static string PipeName(MemoryPaths paths)
    {
        var key = Environment.UserName + "\0" + paths.BasePath.TrimEnd(Path.DirectorySeparatorChar) + (Node is { } node ? "\0node " + node : "");
        var hash = Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(key)))[..20];
        return OperatingSystem.IsWindows() ? "elf-" + hash : "/tmp/elf-" + hash + ".sock";
    }

    /// <summary>The host's exclusive lock: held for as long as a host serves this memory (this node of it).</summary>
    public static string LockFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, NodeFile("host", "lock"));

    /// <summary>The pid of the host holding the lock, for messages.</summary>
    public static string PidFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, NodeFile("host", "pid"));

    /// <summary>Taken by clients that start a host, so that many racing clients start one.</summary>
    public static string StartLockFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, NodeFile("start", "lock"));

    /// <summary>Where a host started in the background writes its log.</summary>
    public static string LogFile(MemoryPaths paths) => Path.Combine(paths.StateDirectory, NodeFile("host", "log"));

    private static string NodeFile(string name, string extension) => Node is { } node ? $"{name}-{node}.{extension}" : $"{name}.{extension}";
}
