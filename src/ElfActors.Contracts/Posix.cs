using System.Runtime.InteropServices;

namespace ElfActors.Contracts;

/// <summary>What lstat/stat say of a path: its owner, type and permission bits, and its identity (device and inode).</summary>
public readonly record struct FileStatus(uint Owner, uint Mode, ulong Device, ulong Inode)
{
    private const uint TypeMask = 0xF000;
    public bool IsDirectory => (Mode & TypeMask) == 0x4000;
    public bool IsSocket => (Mode & TypeMask) == 0xC000;
    public bool IsSymbolicLink => (Mode & TypeMask) == 0xA000;
    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;

    /// <summary>The permission bits, e.g. 0700.</summary>
    public uint Permissions => Mode & 0x1FF;

    /// <summary>Writable by the group or by others.</summary>
    public bool OthersMayWrite => (Mode & 0x12) != 0;

    /// <summary>
    /// A folder only <paramref name="uid"/> can change: its own, not a symbolic link, writable by no one else. What
    /// ElfActors keeps its private files in (the runtime folder, the record-file pool's folder).
    /// </summary>
    public bool IsPrivateFolderOf(uint uid) => !IsSymbolicLink && IsDirectory && Owner == uid && !OthersMayWrite;

    /// <summary>
    /// A folder in which no one but <paramref name="uid"/> (and root) can replace a private folder of
    /// <paramref name="uid"/>'s: <paramref name="uid"/>'s or root's, and writable by others only if sticky (/tmp,
    /// /dev/shm: they cannot rename or remove what is not theirs).
    /// </summary>
    public bool MayHoldPrivateFolderOf(uint uid) =>
        IsDirectory && (Owner == uid || Owner == 0) && (!OthersMayWrite || (Mode & Sticky) != 0);

    private const uint Sticky = 0x200; // S_ISVTX

    public string Kind => IsDirectory ? "a folder" : IsSocket ? "a socket" : IsSymbolicLink ? "a symbolic link" : IsRegularFile ? "a file" : "a special file";
}

/// <summary>
/// <c>struct statx</c> (linux/stat.h) as the kernel fills it, the same 256 bytes on every architecture: the fields
/// ElfActors reads (<see cref="Posix.Statx(string, bool, out StatxBuffer)"/>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
public readonly struct StatxBuffer
{
    [FieldOffset(16)] public readonly uint Links;
    [FieldOffset(20)] public readonly uint Owner;
    [FieldOffset(24)] public readonly uint Group;
    /// <summary>The type and permission bits (<c>st_mode</c>).</summary>
    [FieldOffset(28)] public readonly ushort Mode;
    [FieldOffset(32)] public readonly ulong Inode;
    [FieldOffset(40)] public readonly ulong Size;
    [FieldOffset(96)] public readonly long CtimeSeconds;
    [FieldOffset(104)] public readonly uint CtimeNanoseconds;
    [FieldOffset(112)] public readonly long MtimeSeconds;
    [FieldOffset(120)] public readonly uint MtimeNanoseconds;
    /// <summary>The device of the file system the file is on.</summary>
    [FieldOffset(136)] public readonly uint DeviceMajor;
    [FieldOffset(140)] public readonly uint DeviceMinor;

    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;
}

/// <summary>
/// The few POSIX calls .NET has no API for: the effective uid, and lstat with the owner and the inode
/// (statx: <see cref="StatxBuffer"/>). Linux only; elsewhere <see cref="Supported"/>
/// is false and callers fall back (docs/security.md states the limit).
/// </summary>
public static unsafe partial class Posix
{
    [System.Runtime.Versioning.SupportedOSPlatformGuard("linux")]
    public static bool Supported => OperatingSystem.IsLinux();

    public static uint EffectiveUserId => Supported ? geteuid() : 0;

    /// <summary>lstat: the path itself, never a link's target; null when nothing is there.</summary>
    public static FileStatus? LinkStatus(string path) => Status(path, followLinks: false);

    public static FileStatus? Status(string path, bool followLinks)
    {
        if (!Supported) return null;
        var errno = Statx(path, followLinks, out var status);
        if (errno != 0)
        {
            if (errno is ENoEntry or ENotDirectory) return null;
            throw new IOException($"cannot stat {path} (errno {errno})");
        }
        return new FileStatus(status.Owner, status.Mode, ((ulong)status.DeviceMajor << 32) | status.DeviceMinor, status.Inode);
    }

    /// <summary>
    /// <c>statx</c> of a path: the path itself (lstat's answer), or what its links lead to with
    /// <paramref name="followLinks"/>. Returns 0, or the errno (<c>ENOSYS</c> off Linux or with a libc without statx:
    /// glibc before 2.28, musl before 1.2.5). The one statx reader: <see cref="FileStatus"/>, git's index stat data
    /// (<c>FileStat</c>) and the record file pool's checks all read it.
    /// </summary>
    public static int Statx(string path, bool followLinks, out StatxBuffer status)
    {
        const int currentDirectory = -100, noFollow = 0x100;
        return Statx(currentDirectory, path, followLinks ? 0 : noFollow, out status);
    }

    /// <summary><c>statx</c> of an open descriptor (<c>AT_EMPTY_PATH</c>): the file opened, whatever its name now is. Returns 0 or the errno, as the path form.</summary>
    public static int Statx(int descriptor, out StatxBuffer status)
    {
        const int emptyPath = 0x1000;
        return Statx(descriptor, "", emptyPath, out status);
    }

    private static int Statx(int directory, string path, int flags, out StatxBuffer status)
    {
        status = default;
        if (!OperatingSystem.IsLinux()) return ENoSys;
        const uint basicStats = 0x7FF;
        try
        {
            fixed (StatxBuffer* buffer = &status)
            {
                return statx(directory, path, flags, basicStats, buffer) == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return ENoSys;
        }
    }

    private const int ENoEntry = 2, ENotDirectory = 20, ENoSys = 38;

    /// <summary>What <see cref="Statx(string, bool, out StatxBuffer)"/> returns where it cannot ask (ENOSYS): fall back.</summary>
    public const int NotSupported = ENoSys;

    /// <summary>The pid and uid of the process at the other end of a connected Unix socket (SO_PEERCRED: its credentials when it connected).</summary>
    public static (int Pid, uint Uid)? PeerCredentials(System.Net.Sockets.Socket socket)
    {
        if (!Supported) return null;
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        const int solSocket = 1, soPeerCred = 17;
        if (socket.GetRawSocketOption(solSocket, soPeerCred, credentials) < 12) return null;
        return (BitConverter.ToInt32(credentials[..4]), BitConverter.ToUInt32(credentials[4..8]));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int directory, string path, int flags, uint mask, StatxBuffer* buffer);

    /// <summary>
    /// ELF's scripts run with <c>umask 0077</c> (scripts/record-failure.sh): everything they create (folders, record
    /// files, index.db, git's files) is the user's alone. `elf serve` and import/reindex set the same umask, so the
    /// host's files are private whatever umask it was started with. An embedding process keeps its own.
    /// </summary>
    public static void UseElfUmask()
    {
        if (!OperatingSystem.IsWindows()) umask(0x3F); // 0077
    }

    /// <summary>
    /// CPU time the calling thread has used, in milliseconds (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>); 0 where not
    /// supported. What a stage cost its thread whatever else the machine runs, where wall times measure the load too.
    /// </summary>
    public static double ThreadCpuMilliseconds()
    {
        // CLOCK_THREAD_CPUTIME_ID: 3 on Linux, 16 on macOS.
        var clock = OperatingSystem.IsLinux() ? 3 : OperatingSystem.IsMacOS() ? 16 : -1;
        if (clock < 0) return 0;
        Span<long> time = stackalloc long[2]; // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux and macOS
        fixed (long* pointer = time)
        {
            if (clock_gettime(clock, pointer) != 0) return 0;
        }
        return time[0] * 1000.0 + time[1] / 1_000_000.0;
    }

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clock, long* time);

    /// <summary>
    /// Names the calling thread as the system shows it (<c>/proc/PID/task/TID/comm</c>, <c>top -H</c>, <c>perf</c>; at
    /// most 15 bytes on Linux), once per thread; Linux only. The threads of Akka's dedicated dispatchers are named after
    /// their dispatcher, "elf.dispatchers.…", which Linux cuts to the same 15 bytes for all of them: a per-thread CPU
    /// sample could not say which is the committer (docs/adr/0077). The managed <c>Thread.Name</c> stays Akka's.
    /// </summary>
    public static void NameThisThread(string name)
    {
        if (!OperatingSystem.IsLinux() || ReferenceEquals(_systemThreadName, name)) return;
        _systemThreadName = name;
        Span<byte> bytes = stackalloc byte[16];
        var length = System.Text.Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), bytes);
        bytes[length] = 0;
        const int setName = 15; // PR_SET_NAME
        fixed (byte* pointer = bytes)
        {
            try
            {
                _ = prctl(setName, (nint)pointer, 0, 0, 0);
            }
            catch (EntryPointNotFoundException)
            {
                // A name is only for people reading /proc: nothing depends on it.
            }
        }
    }

    [ThreadStatic]
    private static string? _systemThreadName;

    [LibraryImport("libc")]
    private static partial int prctl(int option, nint arg2, nint arg3, nint arg4, nint arg5);

    [LibraryImport("libc")]
    private static partial uint umask(uint mask);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
