using ElfActors.Contracts;

namespace ElfActors.Core.Git;

/// <summary>
/// The stat data git keeps for an index entry (times, device, inode, mode, owner, size: each as git truncates it
/// to 32 bits). Taken before a file is read, it proves the bytes read are the file's as long as the file's stat
/// still matches; git's racy-entry rule covers a change within the same clock tick.
/// </summary>
public readonly record struct FileStat(
    uint CtimeSeconds, uint CtimeNanoseconds, uint MtimeSeconds, uint MtimeNanoseconds,
    uint Device, uint Inode, uint Mode, uint Uid, uint Gid, uint Size)
{
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
            RegularFile | ((buffer.Mode & 0x40) != 0 ? 0x1EDu : 0x1A4u), buffer.Owner, buffer.Group, (uint)buffer.Size);
    }

    /// <summary>
    /// What changes when anything writes a path, renames another file over it, or adds or removes an entry of a folder:
    /// its inode, size, mtime and ctime, for any kind of file (with <paramref name="followLinks"/>, of what a symbolic link
    /// leads to); null when it does not exist or cannot be stat'ed (off Linux, or a libc without statx).
    /// </summary>
    public static ChangeStamp? StampOf(string path, bool followLinks = false) =>
        Posix.Statx(path, followLinks, out var buffer) == 0
            ? new ChangeStamp(buffer.Inode, buffer.Size, buffer.MtimeSeconds, buffer.MtimeNanoseconds, buffer.CtimeSeconds, buffer.CtimeNanoseconds)
            : null;

    private static bool TryStatx(string path, out StatxBuffer buffer) => Posix.Statx(path, followLinks: false, out buffer) == 0;

    /// <summary>st_dev as glibc's makedev builds it from statx's major and minor: what git stores.</summary>
    private static uint GlibcDevice(uint major, uint minor) =>
        (uint)(((ulong)(major & 0xfff) << 8) | ((ulong)(major & 0xfffff000) << 32) | (minor & 0xff) | ((ulong)(minor & 0xffffff00) << 12));
}

/// <summary>A path's stat data that any write, rename over it or change of a folder's entries changes (<see cref="FileStat.StampOf"/>).</summary>
public readonly record struct ChangeStamp(ulong Inode, ulong Size, long MtimeSeconds, uint MtimeNanoseconds, long CtimeSeconds, uint CtimeNanoseconds);
