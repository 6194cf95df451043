using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace ElfActors.Contracts;

/// <summary>Why the host's endpoint cannot be used: names the path and the fix. Clients exit 3 with it; a host does not start.</summary>
public sealed class HostAddressException(string message) : Exception(message);

/// <summary>
/// Where the host of a memory listens and keeps its lock and pid record (docs/adr/0015, docs/security.md).
/// Everything lives in a private per-user runtime folder: <c>$XDG_RUNTIME_DIR/elf</c> where that variable names
/// a folder of this user's that nobody else may write, else <c>$XDG_CACHE_HOME/elf-run</c> (by default
/// <c>~/.cache/elf-run</c>), else <c>/tmp/elf-&lt;uid&gt;</c>; the folder is <c>0700</c> and checked before use.
/// In it each memory has <c>&lt;key&gt;.sock</c>, <c>.lock</c>, <c>.pid</c> and <c>.start.lock</c>, where the key is
/// a hash of the memory's real identity: the device and inode of its base folder, so a symlinked path or a bind
/// mount finds the same host, and `git clean -fdx` or a re-clone cannot remove a running host's lock. A Unix
/// socket's path may not exceed 107 bytes: a runtime folder too deep for that gives way to /tmp/elf-&lt;uid&gt;.
/// The hash is XxHash128, not SHA-256: it names files, guards nothing, and SHA-256 would load OpenSSL into every
/// `elf` process (docs/adr/0009).
/// In cluster mode several hosts serve one memory, one per node: <see cref="MemoryPaths.Node"/> (the node's cluster
/// port, from $ELF_NODE for the client, from `elf serve --cluster-port` for the host) goes into the key.
/// </summary>
public static class HostAddress
{
    public const string NodeVariable = "ELF_NODE";
    public const string RuntimeVariable = "XDG_RUNTIME_DIR";
    private const int MaxSocketPathBytes = 107;
    /// <summary>0700: the mode of every folder ElfActors makes for its own state (the runtime folder, memory/.elf/ and what is in it).</summary>
    public const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string? NormaliseNode(string? node) => string.IsNullOrWhiteSpace(node) ? null : node.Trim();

    /// <summary>The socket's path (on Windows, the named pipe's name).</summary>
    public static string PipeName(MemoryPaths paths) =>
        OperatingSystem.IsWindows() ? "elf-" + Key(paths) : Path.Combine(RuntimeDirectory(), Key(paths) + ".sock");

    /// <summary>The host's exclusive lock: held for as long as a host serves this memory (this node of it).</summary>
    public static string LockFile(MemoryPaths paths) => StateFile(paths, ".lock");

    /// <summary>The pid of the host holding the lock: how clients find a host whose socket is gone.</summary>
    public static string PidFile(MemoryPaths paths) => StateFile(paths, ".pid");

    /// <summary>Taken by clients that start a host, so that many racing clients start one.</summary>
    public static string StartLockFile(MemoryPaths paths) => StateFile(paths, ".start.lock");

    /// <summary>Where a host started in the background writes its log.</summary>
    public static string LogFile(MemoryPaths paths) =>
        Path.Combine(paths.StateDirectory, paths.Node is { } node ? $"host-{node}.log" : "host.log");

    private static string StateFile(MemoryPaths paths, string extension) =>
        OperatingSystem.IsWindows() ? Path.Combine(paths.StateDirectory, "host-" + Key(paths) + extension) : Path.Combine(RuntimeDirectory(), Key(paths) + extension);

    /// <summary>
    /// 20 hex digits naming the memory (and cluster node) for this user: a hash of the base folder's device and
    /// inode where it exists (symlinked paths and bind mounts agree), else of its full path.
    /// </summary>
    public static string Key(MemoryPaths paths) => Key(paths, Posix.EffectiveUserId);

    /// <summary>The key another user's processes use for the same memory (tests).</summary>
    internal static string Key(MemoryPaths paths, uint uid)
    {
        var identity = Posix.Status(paths.BasePath, followLinks: true) is { IsDirectory: true } status
            ? $"device {status.Device} inode {status.Inode}"
            : "path " + paths.BasePath.TrimEnd(Path.DirectorySeparatorChar);
        var key = uid.ToString(CultureInfo.InvariantCulture) + "\0" + identity + (paths.Node is { } node ? "\0node " + node : "");
        return Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(key)))[..20];
    }

    /// <summary>The per-user runtime folder this process uses (neither created nor checked here).</summary>
    public static string RuntimeDirectory()
    {
        var uid = Posix.EffectiveUserId;
        var fallback = "/tmp/elf-" + uid.ToString(CultureInfo.InvariantCulture);
        var xdg = Environment.GetEnvironmentVariable(RuntimeVariable);
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            && Posix.LinkStatus(xdg)?.IsPrivateFolderOf(uid) == true)
            return Fits(Path.Combine(xdg, "elf")) ?? fallback;
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home) || !Directory.Exists(home)) return fallback;
            cache = Path.Combine(home, ".cache");
        }
        return Fits(Path.Combine(cache, "elf-run")) ?? fallback;
    }

    // "<key>.start.lock" is the longest name in the folder; "<key>.sock" the one bound by the limit.
    private static string? Fits(string folder) => Encoding.UTF8.GetByteCount(folder) + 1 + 20 + ".sock".Length <= MaxSocketPathBytes ? folder : null;

    /// <summary>
    /// Creates the runtime folder (0700 whatever the umask) or checks the one there: a folder, not a symbolic
    /// link, this user's, nobody else's to read or write; its parent this user's or root's, and writable by
    /// others only if sticky (/tmp). Throws <see cref="HostAddressException"/> naming the path and the fix.
    /// </summary>
    public static string EnsureRuntimeDirectory()
    {
        var folder = RuntimeDirectory();
        if (!Posix.Supported)
        {
            Directory.CreateDirectory(folder);
            return folder;
        }
        var parent = Path.GetDirectoryName(folder)!;
        if (Posix.LinkStatus(parent) is null)
        {
            Directory.CreateDirectory(parent, PrivateFolder); // ~/.cache, as the XDG base directory spec creates it
        }
        CheckParent(parent);
        try
        {
            Directory.CreateDirectory(folder, PrivateFolder);
        }
        catch (IOException e)
        {
            throw new HostAddressException($"cannot create the runtime folder {folder}: {e.Message}; remove whatever is there (rm -rf {folder})");
        }
        CheckFolder(folder, repair: true);
        return folder;
    }

    /// <summary>Why the runtime folder cannot be used as it is, or null (also null when it does not exist yet).</summary>
    public static string? RuntimeDirectoryProblem()
    {
        var folder = RuntimeDirectory();
        if (!Posix.Supported || Posix.LinkStatus(folder) is null) return null;
        try
        {
            CheckParent(Path.GetDirectoryName(folder)!);
            CheckFolder(folder, repair: false);
            return null;
        }
        catch (HostAddressException e)
        {
            return e.Message;
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void CheckParent(string parent)
    {
        var status = Posix.Status(parent, followLinks: true)
            ?? throw new HostAddressException($"the runtime folder's parent {parent} does not exist");
        if (!status.MayHoldPrivateFolderOf(Posix.EffectiveUserId))
            throw new HostAddressException(
                $"the runtime folder's parent {parent} is {Describe(status)}: another user could replace the folder in it; " +
                $"make it yours and not writable by others (chmod go-w {parent}), or set ${RuntimeVariable} to a private folder of yours");
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void CheckFolder(string folder, bool repair)
    {
        var status = Posix.LinkStatus(folder) ?? throw new HostAddressException($"the runtime folder {folder} vanished");
        var uid = Posix.EffectiveUserId;
        if (!status.IsPrivateFolderOf(uid))
            throw new HostAddressException(
                $"the runtime folder {folder} is {Describe(status)}, not a private folder of uid {uid}: refusing to use it; " +
                $"remove it (rm -rf {folder}) and retry, or set ${RuntimeVariable} to a private folder of yours");
        if ((status.Permissions & 0x3F) == 0) return;
        if (!repair)
            throw new HostAddressException($"the runtime folder {folder} is readable by others (mode {Octal(status.Permissions)}); chmod 700 {folder}");
        File.SetUnixFileMode(folder, PrivateFolder); // ours, not a link, in a parent nobody else can write: make it private
    }

    /// <summary>
    /// Why the socket path cannot be this user's host: anything there that is not a socket of this user's
    /// (a file, a folder, a symbolic link, another user's socket). Null when nothing or a socket of ours is there.
    /// </summary>
    public static string? SquatterAt(string socketPath)
    {
        if (!Posix.Supported || Posix.LinkStatus(socketPath) is not { } status) return null;
        if (status.IsSocket && status.Owner == Posix.EffectiveUserId) return null;
        return $"{socketPath} is {Describe(status)}, where this memory's host socket belongs; " +
               $"nothing of ElfActors' made it: remove it (rm -rf {socketPath}) and retry";
    }

    /// <summary>Makes a file the host created readable and writable by its owner only, whatever the umask.</summary>
    public static void MakePrivate(string file)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, PrivateFile);
    }

    public static string Describe(FileStatus status) =>
        $"{status.Kind} owned by uid {status.Owner.ToString(CultureInfo.InvariantCulture)} with mode {Octal(status.Permissions)}";

    public static string Octal(uint permissions) => "0" + Convert.ToString(permissions, 8);
}
