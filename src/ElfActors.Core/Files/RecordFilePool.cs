using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ElfActors.Contracts;

namespace ElfActors.Core.Files;

/// <summary>
/// Empty files made ahead of need, so that a record's file takes an inode made earlier instead of allocating one on
/// the record's path (ADR 0080): on ext4 without a journal an exclusive create searches past every inode freed in
/// the last minutes. A record writes a pool file and renames it to its final name with <c>RENAME_NOREPLACE</c>, so
/// the final name appears complete or not at all and never replaces a file. A background thread (never an actor's
/// dispatcher) refills the pool after each take. Linux only; elsewhere, or where the rename is not supported, the
/// caller falls back to creating the file at its final name.
/// </summary>
public sealed partial class RecordFilePool : IDisposable
{
    public const string FilePrefix = "record-";

    /// <summary>memory/.elf/record-files/: git-excluded with the rest of memory/.elf/, on the records' file system.</summary>
    public static string DirectoryIn(MemoryPaths paths) => Path.Combine(paths.StateDirectory, "record-files");

    private readonly string _directory;
    private readonly int _size;
    private readonly ConcurrentQueue<string> _free = new();
    private readonly AutoResetEvent _refillNeeded = new(false);
    private readonly Thread? _refiller;
    private volatile bool _disposed;
    private volatile bool _renameUnsupported;
    private long _next;

    /// <summary>Empties <paramref name="directory"/> of a previous run's pool files and starts filling it to <paramref name="size"/> files, on a background thread unless <paramref name="background"/> is false (tests refill by hand).</summary>
    public RecordFilePool(string directory, int size, bool background = true)
    {
        _directory = directory;
        _size = size;
        NotUsedBecause = Prepare(directory);
        if (NotUsedBecause is not null) return;
        RemoveLeftovers();
        if (!background || !OperatingSystem.IsLinux() || size <= 0) return;
        _refiller = new Thread(RefillLoop) { IsBackground = true, Name = "elf-record-file-pool", Priority = ThreadPriority.BelowNormal };
        _refiller.Start();
        _refillNeeded.Set();
    }

    /// <summary>
    /// Why the pool is not used at all (null while it may be): its folder is not a folder of this user's that no one else
    /// may write (a symbolic link, a file, another user's folder, a folder others may write: squatted, or made under a
    /// careless umask by something else). Nothing in or behind it is then made, written or removed, and every record
    /// creates its file at its name (docs/adr/0083). Said once by the owner of the pool (the host's log).
    /// </summary>
    public string? NotUsedBecause { get; }

    /// <summary>How many empty files are ready.</summary>
    public int Ready => _free.Count;

    /// <summary>False once the file system refused <c>renameat2</c>, or with <see cref="NotUsedBecause"/>: every record then creates its file at its final name.</summary>
    public bool Usable => !_renameUnsupported && NotUsedBecause is null && OperatingSystem.IsLinux();

    /// <summary>Fills the pool to its size; returns how many files it made.</summary>
    public int Refill()
    {
        var made = 0;
        while (!_disposed && _free.Count < _size && Usable)
        {
            var path = Path.Combine(_directory, FilePrefix + Interlocked.Increment(ref _next).ToString("D") + "-" + Environment.ProcessId);
            var fd = open(path, OCreat | OExcl | OWriteOnly | OCloseOnExec | ONoFollow, 0x180); // 0600
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EExist) continue;
                return made; // full disk, folder gone: the records fall back until the next take asks again
            }
            close(fd);
            _free.Enqueue(path);
            made++;
        }
        return made;
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a pool file and renames it to <paramref name="finalPath"/> without
    /// replacing anything there. Returns false, having changed nothing at the final name, when no pool file can be
    /// used (empty pool, another file system, no <c>renameat2</c>): the caller creates the file itself. Throws
    /// <see cref="FileAlreadyExistsException"/> when a file is already at the final name (left as it was).
    /// </summary>
    public bool TryPlace(string finalPath, ReadOnlySpan<byte> content, bool flushToDisk)
    {
        if (!Usable || _disposed) return false;
        string? pooled;
        int fd;
        while (true)
        {
            if (!_free.TryDequeue(out pooled)) { _refillNeeded.Set(); return false; }
            // O_NONBLOCK: a FIFO put in its place would hold an open for writing until someone reads it.
            fd = open(pooled, OWriteOnly | ONoFollow | OCloseOnExec | ONonBlock, 0);
            if (fd >= 0 && IsOurEmptyFile(fd)) break;
            if (fd >= 0) close(fd); // replaced behind our back: never write through it
            AtomicFile.TryDelete(pooled);
        }
        _refillNeeded.Set();
        try
        {
            try
            {
                WriteAll(fd, content);
                if (flushToDisk && fsync(fd) != 0) throw new IOException($"cannot flush {finalPath} (errno {Marshal.GetLastPInvokeError()})");
            }
            finally
            {
                close(fd);
            }
            var errno = Rename(pooled, finalPath);
            if (errno == ENoEntry && Path.GetDirectoryName(finalPath) is { } folder && !Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder); // a learnings type's first record
                errno = Rename(pooled, finalPath);
            }
            switch (errno)
            {
                case 0:
                    pooled = null;
                    return true;
                case EExist:
                    throw new FileAlreadyExistsException(finalPath);
                case ECrossDevice or ENoSys or EInvalid:
                    _renameUnsupported = true;
                    return false;
                default:
                    throw new IOException($"cannot place {finalPath} (errno {errno})");
            }
        }
        finally
        {
            if (pooled is not null) AtomicFile.TryDelete(pooled); // written: never back into the pool
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _refillNeeded.Set();
        _refiller?.Join();
        _refillNeeded.Dispose();
        if (NotUsedBecause is null) RemoveLeftovers();
    }

    /// <summary>
    /// Makes the pool's folder (0700, whatever the umask) unless something is there; null when it and memory/.elf/ are
    /// folders of this user's that no one else may write, else why the pool is not used. Checked once, at start: with
    /// memory/.elf/ the user's alone, what is found here stays.
    /// </summary>
    private static string? Prepare(string directory)
    {
        if (!Posix.Supported)
        {
            Directory.CreateDirectory(directory);
            return null;
        }
        try
        {
            // The folder it is in (memory/.elf/) first: anyone who may write there may put another folder in its place.
            var parent = Path.GetDirectoryName(directory)!;
            if (Posix.LinkStatus(parent) is null) Directory.CreateDirectory(parent, HostAddress.PrivateFolder);
            if (Unsafe(parent, isParent: true) is { } reason) return reason;
            if (Posix.LinkStatus(directory) is null) Directory.CreateDirectory(directory, HostAddress.PrivateFolder);
            return Unsafe(directory, isParent: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{directory} cannot be made: {e.Message}";
        }
    }

    /// <summary>
    /// Why no one but this user can be trusted not to change <paramref name="folder"/>'s entries, or null: the pool's
    /// folder must be a private folder of this user's, the folder it is in one that may hold it
    /// (<see cref="FileStatus.IsPrivateFolderOf"/>, <see cref="FileStatus.MayHoldPrivateFolderOf"/>: the runtime
    /// folder's rule).
    /// </summary>
    private static string? Unsafe(string folder, bool isParent)
    {
        if (Posix.LinkStatus(folder) is not { } found) return $"{folder} vanished as it was made";
        var uid = Posix.EffectiveUserId;
        if (isParent ? found.MayHoldPrivateFolderOf(uid) : found.IsPrivateFolderOf(uid)) return null;
        if (!found.IsDirectory) return $"{folder} is {found.Kind}, not a folder";
        if (found.Owner != uid && !(isParent && found.Owner == 0)) return $"{folder} belongs to user {found.Owner}, not to this user ({uid})";
        return $"others may write in {folder} (mode {Convert.ToString(found.Mode & 0xFFF, 8)})";
    }

    private void RefillLoop()
    {
        while (!_disposed)
        {
            _refillNeeded.WaitOne();
            if (_disposed) return;
            try { Refill(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Pool files a previous run (or a crash) left: never renamed, so no record's content depends on them.</summary>
    private void RemoveLeftovers()
    {
        while (_free.TryDequeue(out _)) { }
        foreach (var leftover in Directory.EnumerateFiles(_directory, FilePrefix + "*")) AtomicFile.TryDelete(leftover);
    }

    private static bool IsOurEmptyFile(int fd) =>
        Posix.Statx(fd, out var file) == 0
        && file.IsRegularFile && file.Owner == Posix.EffectiveUserId && file.Links == 1 && file.Size == 0;

    private static unsafe void WriteAll(int fd, ReadOnlySpan<byte> content)
    {
        fixed (byte* start = content)
        {
            var done = 0;
            while (done < content.Length)
            {
                var written = write(fd, start + done, (nint)(content.Length - done));
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EInterrupted) continue;
                    throw new IOException(errno == ENoSpace ? "No space left on device" : $"write failed (errno {errno})");
                }
                done += (int)written;
            }
        }
    }

    private static int Rename(string from, string to)
    {
        const int currentDirectory = -100;
        const uint noReplace = 1;
        return renameat2(currentDirectory, from, currentDirectory, to, noReplace) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private const int OWriteOnly = 0x1, OCreat = 0x40, OExcl = 0x80, ONonBlock = 0x800, ONoFollow = 0x20000, OCloseOnExec = 0x80000;
    private const int ENoEntry = 2, EInterrupted = 4, EExist = 17, ECrossDevice = 18, EInvalid = 22, ENoSpace = 28, ENoSys = 38;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int fromDirectory, string from, int toDirectory, string to, uint flags);
}

/// <summary>A file is already at the name a record was to take; it was left as it was.</summary>
public sealed class FileAlreadyExistsException(string path) : IOException($"The file '{path}' already exists.");
