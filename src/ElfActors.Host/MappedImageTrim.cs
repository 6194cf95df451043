using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ElfActors.Host;

/// <summary>
/// Drops this process's page-table entries for the code and read-only data of the images it has loaded (the runtime,
/// the assemblies, the native libraries) with <c>madvise(MADV_DONTNEED)</c> (ADR 0059). For a file page that no write
/// has copied, that only unmaps it: the page stays in the page cache (other processes go on using it) and the next
/// touch is a minor fault. <see cref="MayDrop"/> and <see cref="Droppable"/> decide what may be dropped, and nothing
/// else is ever touched:
/// <list type="bullet">
/// <item>only file mappings that are readable and not writable (<c>r--p</c>, <c>r-xp</c>, <c>r--s</c>, <c>r-xs</c>):
/// nothing can write into them without first changing their permissions;</item>
/// <item>a private one only when none of its pages is anything but the file's own (<c>/proc/self/pagemap</c>,
/// <see cref="CountPages"/>): no copy-on-write page (relocated data) and none swapped out, which <c>MADV_DONTNEED</c>
/// would throw away, so that the next touch read the page unrelocated from the file;</item>
/// <item>only images of loaded code (<see cref="MappedFile.LoadedImage"/>), which this process never unmaps: not a
/// pack or index that libgit2 maps and unmaps as it reads, whose address range another mapping could take between the
/// reading and the advice;</item>
/// <item>only mappings that were already the same (range, permissions, offset, file) in an earlier reading of
/// <c>/proc/self/maps</c>: an image being loaded at that moment (mapped, then made writable for its relocations) is
/// left to a later trim;</item>
/// <item>never anonymous memory, the heap, the stacks, a deleted file, or the JIT's double-mapped code
/// (<c>/memfd:</c>): that is this process's own memory, and dropping its entries would lower the resident figure
/// without giving anything back.</item>
/// </list>
/// </summary>
internal static class MappedImageTrim
{
    private static readonly byte[] Executable = Encoding.UTF8.GetBytes(Environment.ProcessPath ?? "");

    /// <summary>Whether the trim can run here (Linux's /proc and madvise).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>
    /// The mappings of <paramref name="now"/> whose pages may be dropped: those <see cref="MayDrop"/> allows that were the
    /// same in <paramref name="earlier"/> (read from <c>maps</c>). <paramref name="now"/> carries each mapping's pages
    /// (<see cref="CountPages"/>, or an <c>smaps</c> text in the tests). Both lists are in ascending address order, as
    /// /proc writes them.
    /// </summary>
    public static ProcessMapping[] Droppable(ProcessMapping[] now, ProcessMapping[] earlier) => UnchangedAndAllowed(now, earlier, pagesCounted: true);

    /// <summary>
    /// The mappings of <paramref name="now"/> (read from <c>maps</c>, no page counts) that <see cref="MayDrop"/> could allow
    /// once their pages are counted, and that were the same in <paramref name="earlier"/>: the only ones whose pages
    /// <see cref="CountPages"/> needs to look at.
    /// </summary>
    public static ProcessMapping[] Candidates(ProcessMapping[] now, ProcessMapping[] earlier) => UnchangedAndAllowed(now, earlier, pagesCounted: false);

    /// <summary>
    /// The mappings of <paramref name="now"/> that <see cref="MayDrop"/> allows and that were the same in
    /// <paramref name="earlier"/> (both in ascending address order). Without <paramref name="pagesCounted"/> a mapping is
    /// judged as if it had resident pages and no anonymous one, which only its pages, counted later, can refute.
    /// </summary>
    private static ProcessMapping[] UnchangedAndAllowed(ProcessMapping[] now, ProcessMapping[] earlier, bool pagesCounted)
    {
        var result = new ProcessMapping[now.Length];
        var count = 0;
        var e = 0;
        for (var n = 0; n < now.Length; n++)
        {
            ref readonly var mapping = ref now[n];
            if (!MayDrop(pagesCounted ? mapping : mapping with { ResidentKib = 1, AnonymousKib = 0 })) continue;
            while (e < earlier.Length && earlier[e].Start < mapping.Start) e++;
            if (e < earlier.Length && mapping.SameMappingAs(earlier[e])) result[count++] = mapping;
        }
        return ProcessMapping.Exactly(result, count);
    }

    /// <summary>The rule for one mapping with its pages counted (the stability check is <see cref="Droppable"/>'s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MayDrop(in ProcessMapping mapping) =>
        mapping.File == MappedFile.LoadedImage
        && (mapping.Access & (MappingAccess.Read | MappingAccess.Write)) == MappingAccess.Read
        && ((mapping.Access & MappingAccess.Shared) != 0 || mapping.AnonymousKib == 0)
        && mapping.ResidentKib > 0
        && mapping.Inode != 0;

    /// <summary>The loaded images' mappings as <c>/proc/self/maps</c> shows them now; empty where it cannot be read.</summary>
    public static ProcessMapping[] ReadMaps() => Read("/proc/self/maps\0"u8);

    // /proc/PID/pagemap: one 64-bit entry per page of the address space (Documentation/admin-guide/mm/pagemap.rst).
    internal const ulong PagePresent = 1UL << 63;
    internal const ulong PageSwapped = 1UL << 62;
    internal const ulong PageFileOrSharedAnonymous = 1UL << 61;

    /// <summary>
    /// Adds to <paramref name="resident"/> the pages of the first <paramref name="count"/> <paramref name="entries"/>
    /// (pagemap entries) that are present, and
    /// to <paramref name="notFromFile"/> those that are not the mapped file's own page: a present page without the
    /// file bit (a copy-on-write copy: relocated data) or a page swapped out (only anonymous pages are swapped; a clean file
    /// page is dropped, not swapped). In a private file mapping, <c>MADV_DONTNEED</c> throws either kind away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Classify(ReadOnlySpan<ulong> entries, int count, ref long resident, ref long notFromFile)
    {
        for (var i = 0; i < count; i++)
        {
            var entry = entries[i];
            if ((entry & PagePresent) != 0)
            {
                resident++;
                if ((entry & PageFileOrSharedAnonymous) == 0) notFromFile++;
            }
            else if ((entry & PageSwapped) != 0) notFromFile++;
        }
    }

    /// <summary>
    /// <paramref name="mappings"/> with their resident kB and the kB that are not the file's own pages (copied or swapped:
    /// <see cref="ProcessMapping.AnonymousKib"/>), read from <c>/proc/self/pagemap</c> for their ranges only: a few hundred
    /// kB, where <c>smaps</c> makes the kernel walk and print every mapping of the process (ADR 0063). A mapping whose
    /// pages cannot be read is left with -1 (unknown: not dropped).
    /// </summary>
    public static unsafe ProcessMapping[] CountPages(ProcessMapping[] mappings)
    {
        var result = new ProcessMapping[mappings.Length];
        for (var i = 0; i < mappings.Length; i++) result[i] = mappings[i] with { ResidentKib = -1, AnonymousKib = -1 };
        var pageSize = (ulong)Environment.SystemPageSize;
        const int bufferEntries = 32 * 1024;
        var buffer = (ulong*)NativeMemory.Alloc(bufferEntries * sizeof(ulong));
        int descriptor;
        fixed (byte* name = "/proc/self/pagemap\0"u8) descriptor = Open(name, OpenReadOnlyCloseOnExec);
        if (descriptor < 0)
        {
            NativeMemory.Free(buffer);
            return result;
        }
        try
        {
            // One span over the whole buffer, made once: a span made per read calls ReadOnlySpan's constructor (CoreLib's,
            // not inlined into this precompiled code) once per mapping, which tiered compilation recompiled (ADR 0068).
            var entriesRead = new ReadOnlySpan<ulong>(buffer, bufferEntries);
            for (var i = 0; i < result.Length; i++)
            {
                ref var mapping = ref result[i];
                long resident = 0, notFromFile = 0;
                var page = mapping.Start / pageSize;
                var end = mapping.End / pageSize;
                var complete = true;
                while (page < end)
                {
                    var entries = (int)Math.Min(end - page, bufferEntries);
                    // pread straight from libc: a call per mapping to RandomAccess.Read would reach tiered compilation's
                    // 30 calls and be recompiled after the trim (ADR 0059).
                    var read = PRead(descriptor, buffer, (nuint)(entries * sizeof(ulong)), (long)(page * sizeof(ulong)));
                    if (read <= 0 || read % sizeof(ulong) != 0)
                    {
                        complete = false;
                        break;
                    }
                    var got = (int)(read / sizeof(ulong));
                    Classify(entriesRead, got, ref resident, ref notFromFile);
                    page += (ulong)got;
                }
                if (complete)
                {
                    var kibPerPage = (long)pageSize / 1024;
                    mapping = mapping with { ResidentKib = resident * kibPerPage, AnonymousKib = notFromFile * kibPerPage };
                }
            }
            return result;
        }
        finally
        {
            _ = Close(descriptor);
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>
    /// Reads a /proc file (<paramref name="path"/>: UTF-8, ending in a NUL) into native memory that is freed at once (a
    /// buffer from the GC heap would stay resident after the trim's collection), then parses it. <c>open</c>,
    /// <c>pread</c> and <c>close</c> are called straight from libc: <c>File.OpenHandle</c> and <c>RandomAccess.Read</c>
    /// run SafeHandle and validation code that the JIT recompiled at Tier1 right after the trim (ADR 0068).
    /// </summary>
    private static unsafe ProcessMapping[] Read(ReadOnlySpan<byte> path)
    {
        nuint capacity = 1 << 20;
        var buffer = (byte*)NativeMemory.Alloc(capacity);
        try
        {
            var length = ReadAll(path, ref buffer, ref capacity);
            return length < 0 ? [] : ProcessMapping.Parse(new ReadOnlySpan<byte>(buffer, (int)length), Executable, loadedImagesOnly: true);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>
    /// Reads all of <paramref name="path"/> (UTF-8, ending in a NUL) into <paramref name="buffer"/>, grown with
    /// <c>NativeMemory.Realloc</c> as needed; its length, or -1 when it cannot be opened or read.
    /// </summary>
    internal static unsafe long ReadAll(ReadOnlySpan<byte> path, ref byte* buffer, ref nuint capacity)
    {
        int descriptor;
        fixed (byte* name = path) descriptor = Open(name, OpenReadOnlyCloseOnExec);
        if (descriptor < 0) return -1;
        try
        {
            nuint length = 0;
            while (true)
            {
                if (length == capacity)
                {
                    capacity *= 2;
                    buffer = (byte*)NativeMemory.Realloc(buffer, capacity);
                }
                var read = PRead(descriptor, buffer + length, capacity - length, (long)length);
                if (read < 0) return -1;
                if (read == 0) return (long)length;
                length += (nuint)read;
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    private const int OpenReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC (Linux)

    [DllImport("libc", EntryPoint = "open")]
    private static extern unsafe int Open(byte* path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int descriptor);

    /// <summary>
    /// Drops the page-table entries of <paramref name="mappings"/>; returns how many kB were resident in those the kernel
    /// accepted (it refuses a range that is no longer mapped: ENOMEM).
    /// </summary>
    public static long Drop(ProcessMapping[] mappings)
    {
        long kib = 0;
        for (var i = 0; i < mappings.Length; i++)
        {
            ref readonly var mapping = ref mappings[i];
            if (Madvise((nint)mapping.Start, (nuint)(mapping.End - mapping.Start), MadvDontNeed) == 0) kib += mapping.ResidentKib;
        }
        return kib;
    }

    private const int MadvDontNeed = 4;

    // A plain DllImport of blittable arguments: the JIT calls it inline from Drop, with no marshalling stub of its own
    // that tiered compilation would recompile after the trim.
    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(nint address, nuint length, int advice);

    [DllImport("libc", EntryPoint = "pread")]
    private static extern unsafe nint PRead(int descriptor, void* buffer, nuint count, long offset);

}
