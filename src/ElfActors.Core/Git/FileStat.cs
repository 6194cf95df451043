using System.Runtime.InteropServices;

namespace ElfActors.Core.Git;

/// <summary>
/// The stat data git keeps for an index entry (times, device, inode, mode, owner, size: each as git truncates it
/// to 32 bits). Taken before a file is read, it proves the bytes read are the file's as long as the file's stat
/// still matches; git's racy-entry rule covers a change within the same clock tick.
/// </summary>
public readonly partial record struct FileStat(
    uint CtimeSeconds, uint CtimeNanoseconds, uint MtimeSeconds, uint MtimeNanoseconds,
    uint Device, uint Inode, uint Mode, uint Uid, uint Gid, uint Size)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const uint FileTypeMask = 0xF000; // S_IFMT
    private const uint RegularFile = 0x8000; // S_IFREG

    /// <summary>
    /// The stat of a regular file as git's lstat would fill an index entry; null off Linux, for anything but a
    /// regular file, or when the file cannot be stat'ed (the caller then lets git read it).
    /// </summary>
    public static FileStat? Of(string path)
    {
        if (!TryStatx(path, out var buffer) || (buffer.Mode & FileTypeMask) != RegularFile) return null;
        return new FileStat(
            (uint)buffer.CtimeSeconds, buffer.CtimeNanoseconds, (uint)buffer.MtimeSeconds, buffer.MtimeNanoseconds,
            GlibcDevice(buffer.DeviceMajor, buffer.DeviceMinor), (uint)buffer.Inode,
            // git keeps only "executable or not" of the permission bits
            RegularFile | ((buffer.Mode & 0x40) != 0 ? 0x1EDu : 0x1A4u), buffer.Uid, buffer.Gid, (uint)buffer.Size);
    }

    /// <summary>
    /// What changes when anything writes a path, renames another file over it, or adds or removes an entry of a folder:
    /// its inode, size, mtime and ctime, for any kind of file; null when it does not exist or cannot be stat'ed (off
    /// Linux, or a libc without statx).
    /// </summary>
    public static ChangeStamp? StampOf(string path) =>
        TryStatx(path, out var buffer)
            ? new ChangeStamp(buffer.Inode, buffer.Size, buffer.MtimeSeconds, buffer.MtimeNanoseconds, buffer.CtimeSeconds, buffer.CtimeNanoseconds)
            : null;

    private static bool TryStatx(string path, out StatxBuffer buffer)
    {
        buffer = new StatxBuffer();
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref buffer) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a libc without statx (glibc before 2.28, or musl before 1.2.5)
        }
    }

    /// <summary>st_dev as glibc's makedev builds it from statx's major and minor: what git stores.</summary>
    private static uint GlibcDevice(uint major, uint minor) =>
        (uint)(((ulong)(major & 0xfff) << 8) | ((ulong)(major & 0xfffff000) << 32) | (minor & 0xff) | ((ulong)(minor & 0xffffff00) << 12));

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref StatxBuffer buffer);

    /// <summary>struct statx (linux/stat.h): the same layout on every architecture, 256 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long CtimeSeconds;
        [FieldOffset(104)] public uint CtimeNanoseconds;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }
}

/// <summary>A path's stat data that any write, rename over it or change of a folder's entries changes (<see cref="FileStat.StampOf"/>).</summary>
public readonly record struct ChangeStamp(ulong Inode, ulong Size, long MtimeSeconds, uint MtimeNanoseconds, long CtimeSeconds, uint CtimeNanoseconds);
