using System.Text;
using ElfActors.Host;

namespace ElfActors.Tests.Host;

/// <summary>
/// What the idle trim may drop (ADR 0059), over an smaps text whose lines were captured from an idle elf-host
/// (2026-12-05; a few sizes and paths varied to make each case): only clean, read-only mappings of loaded images that
/// were the same in an earlier reading of maps. Everything else must be left alone: the assertions name each case.
/// </summary>
public sealed class MappedImageTrimTests
{
    private const string Executable = "/opt/elf/elf-host";

    /// <summary>One smaps entry: the header, then fields as the kernel writes them (Anonymous omitted when null).</summary>
    private static string Entry(string header, long rss, long? anonymous, long swap = 0) =>
        header + "\n" +
        $"Size:                 48 kB\nKernelPageSize:        4 kB\nMMUPageSize:           4 kB\nRss:            {rss,8} kB\nPss:                   2 kB\n" +
        "Pss_Dirty:             0 kB\nShared_Clean:          0 kB\nShared_Dirty:          0 kB\nPrivate_Clean:         0 kB\nPrivate_Dirty:         0 kB\n" +
        "Referenced:            0 kB\n" + (anonymous is { } a ? $"Anonymous:      {a,8} kB\n" : "") +
        "KSM:                   0 kB\nLazyFree:              0 kB\nAnonHugePages:         0 kB\nShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\n" +
        "Shared_Hugetlb:        0 kB\nPrivate_Hugetlb:       0 kB\n" + $"Swap:           {swap,8} kB\nSwapPss:        {swap,8} kB\nLocked:                0 kB\n" +
        "THPeligible:           0\nProtectionKey:         0\nVmFlags: rd ex mr mw me sd \n";

    // Ascending addresses, as /proc writes them.
    private static readonly (string Header, long Rss, long? Anonymous, bool Droppable, string Why)[] Mappings =
    [
        ("55abcbafc000-55abcbb08000 r-xp 00006000 fe:00 11752689                   /opt/elf/elf-host", 48, 0, true, "the executable's code"),
        ("55abf303b000-55abf390d000 rw-p 00000000 00:00 0                          [heap]", 8920, 8920, false, "the C heap"),
        ("7f9fa0ffb000-7f9fa17fb000 rw-p 00000000 00:00 0 ", 24, 24, false, "anonymous memory"),
        ("7f9fb2ffc000-7f9fb2ffd000 r--p 000f9000 fe:00 351007                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libSystem.IO.Compression.Native.so", 4, 4, false, "read-only after relocation (RELRO): a copy-on-write page"),
        ("7f9fd00db000-7f9fd00e3000 rw-s 00000000 fe:00 11849758                   /tmp/m/memory/index.db-shm", 32, 0, false, "SQLite's shared memory: writable"),
        ("7f9fd2e5a000-7f9fd2e5c000 rw-s 00ae6000 00:01 13869                      /memfd:doublemapper (deleted)", 8, 0, false, "the JIT's writable view"),
        ("7f9fd3000000-7f9fd3edb000 r--s 00000000 fe:00 350922                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll", 3200, 0, true, "an assembly's flat, shared read-only view"),
        ("7fabb8001000-7fabb8003000 r--s 00000000 fe:00 11849779                   /tmp/m/.git/objects/pack/pack-c86caf779ca3a6f06263314791c95ea7633ece1f.pack", 8, 0, false, "a git pack libgit2 maps and unmaps"),
        ("7fabbb040000-7fabbb041000 r-xs 00000000 00:01 13869                      /memfd:doublemapper (deleted)", 4, 0, false, "the JIT's code: this process's own memory"),
        ("7fabbb080000-7fabbbbcc000 r-xp 00000000 fe:00 350922                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll", 7600, 0, true, "an assembly's code"),
        ("7fabbbbec000-7fabbbf6e000 rw-p 00b4c000 fe:00 350922                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll", 2248, 232, false, "an assembly's writable data"),
        ("7fabbc000000-7fabbc010000 r-xp 00000000 fe:00 400001                     /tmp/m/old/Akka.dll (deleted)", 64, 0, false, "a deleted file"),
        ("7fabbc010000-7fabbc020000 r-xp 00000000 fe:00 400002                     /tmp/m/Cold.dll", 0, 0, false, "nothing resident"),
        ("7fabbc020000-7fabbc030000 r-xp 00000000 fe:00 400003                     /tmp/m/NoAnonymousLine.dll", 64, null, false, "no Anonymous line: unknown"),
        ("7fabbc030000-7fabbc040000 r--p 00000000 fe:00 400004                     /tmp/m/notes.so.txt", 64, 0, false, "not a library, though its name has .so."),
        ("7fabbc040000-7fabbc050000 r--p 00000000 fe:00 400005                     /tmp/m/Loaded.Just.Now.dll", 64, 0, false, "not in the earlier reading: loaded since"),
        ("7fabbc050000-7fabbc060000 r--p 00002000 fe:00 400006                     /tmp/m/Relocated.dll", 64, 0, false, "writable in the earlier reading: being relocated"),
        ("7fabbc060000-7fabbc070000 r--p 00000000 fe:00 400007                     /tmp/m/With spaces/Plugin.dll", 64, 0, true, "a path with spaces"),
        ("7fac3a618000-7fac3a6ac000 r-xp 00000000 fe:00 332101                     /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", 592, 0, true, "a versioned library's code"),
        ("7fac3a81e000-7fac3a844000 r--p 00000000 fe:00 332096                     /usr/lib/x86_64-linux-gnu/libc.so.6", 152, 0, true, "a library's read-only data"),
    ];

    private static string Smaps => string.Concat(Mappings.Select(m => Entry(m.Header, m.Rss, m.Anonymous)));

    /// <summary>The earlier reading of maps: every mapping as it is now, except the one loaded since and the one that
    /// was still writable (its relocations being written).</summary>
    private static string EarlierMaps => string.Join("\n", Mappings
        .Where(m => !m.Header.Contains("Loaded.Just.Now", StringComparison.Ordinal))
        .Select(m => m.Header.Contains("Relocated.dll", StringComparison.Ordinal) ? m.Header.Replace(" r--p ", " rw-p ", StringComparison.Ordinal) : m.Header)) + "\n";

    private static ProcessMapping[] Parse(string text, bool loadedImagesOnly) =>
        ProcessMapping.Parse(Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetBytes(Executable), loadedImagesOnly);

    [Fact]
    public void Smaps_is_read_mapping_by_mapping_with_its_resident_and_anonymous_kilobytes()
    {
        var mappings = Parse(Smaps, loadedImagesOnly: false);

        Assert.Equal(Mappings.Length, mappings.Length);
        var coreLibCode = mappings[9];
        Assert.Equal(0x7fabbb080000UL, coreLibCode.Start);
        Assert.Equal(0x7fabbbbcc000UL, coreLibCode.End);
        Assert.Equal(MappingAccess.Read | MappingAccess.Execute, coreLibCode.Access);
        Assert.Equal((0xfeUL << 32) | 0, coreLibCode.Device);
        Assert.Equal(350922UL, coreLibCode.Inode);
        Assert.Equal(MappedFile.LoadedImage, coreLibCode.File);
        Assert.Equal(7600, coreLibCode.ResidentKib);
        Assert.Equal(0, coreLibCode.AnonymousKib);
        Assert.Equal(232, mappings[10].AnonymousKib);
        Assert.Equal(0xb4c000UL, mappings[10].Offset);
        Assert.Equal(-1, mappings[13].AnonymousKib);
        Assert.Equal(MappedFile.None, mappings[1].File);
        Assert.Equal(MappedFile.None, mappings[2].File);
        Assert.Equal(MappedFile.OtherFile, mappings[7].File);
        Assert.Equal(MappedFile.NotOnDisk, mappings[8].File);
        Assert.Equal(MappedFile.NotOnDisk, mappings[11].File);
        Assert.Equal(MappedFile.OtherFile, mappings[14].File);
        Assert.True((mappings[6].Access & MappingAccess.Shared) != 0);
    }

    [Fact]
    public void Only_clean_read_only_mappings_of_loaded_images_that_were_already_there_are_dropped()
    {
        var droppable = MappedImageTrim.Droppable(Parse(Smaps, loadedImagesOnly: true), Parse(EarlierMaps, loadedImagesOnly: true));

        var expected = Mappings.Where(m => m.Droppable).Select(m => m.Header[..m.Header.IndexOf(' ')]).ToArray();
        var actual = droppable.Select(m => $"{m.Start:x}-{m.End:x}").ToArray();
        Assert.Equal(expected, actual);
        foreach (var kept in Mappings.Where(m => !m.Droppable))
            Assert.False(actual.Contains(kept.Header[..kept.Header.IndexOf(' ')]), $"dropped, but {kept.Why}: {kept.Header}");
    }

    [Fact]
    public void Nothing_is_dropped_without_an_earlier_reading()
    {
        Assert.Empty(MappedImageTrim.Droppable(Parse(Smaps, loadedImagesOnly: true), []));
    }

    [Fact]
    public void A_mapping_whose_range_changed_since_the_earlier_reading_is_left()
    {
        // The same library at the same start, but a longer range earlier (since split by an mprotect).
        var earlier = Parse("7fac3a81e000-7fac3a850000 r--p 00000000 fe:00 332096 /usr/lib/x86_64-linux-gnu/libc.so.6\n", loadedImagesOnly: true);
        var now = Parse(Entry("7fac3a81e000-7fac3a844000 r--p 00000000 fe:00 332096 /usr/lib/x86_64-linux-gnu/libc.so.6", 152, 0), loadedImagesOnly: true);

        Assert.Empty(MappedImageTrim.Droppable(now, earlier));
    }

    [Fact]
    public void A_private_mapping_with_a_page_swapped_out_is_left()
    {
        // A relocated page that was swapped out is anonymous memory no longer resident: smaps says Anonymous 0 and Swap
        // 4. MADV_DONTNEED would free the swapped copy, and the next touch read the page unrelocated from the file.
        const string header = "7fac3a81e000-7fac3a844000 r--p 00000000 fe:00 332096 /usr/lib/x86_64-linux-gnu/libc.so.6";
        var maps = Parse(header + "\n", loadedImagesOnly: true);
        var swapped = Parse(Entry(header, 148, 0, swap: 4), loadedImagesOnly: true);
        var clean = Parse(Entry(header, 148, 0), loadedImagesOnly: true);

        Assert.Equal(4, Assert.Single(swapped).AnonymousKib);
        Assert.Empty(MappedImageTrim.Droppable(swapped, maps));
        Assert.Single(MappedImageTrim.Droppable(clean, maps));
    }

    [Fact]
    public unsafe void A_proc_file_is_read_whole_through_a_buffer_it_grows_and_a_missing_one_reads_as_minus_one()
    {
        var path = Path.Combine(Path.GetTempPath(), "elf-readall-" + Guid.NewGuid().ToString("N"));
        var content = Enumerable.Range(0, 5000).Select(i => (byte)('a' + i % 26)).ToArray();
        File.WriteAllBytes(path, content);
        nuint capacity = 16;
        var buffer = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(capacity);
        try
        {
            var length = MappedImageTrim.ReadAll(Encoding.UTF8.GetBytes(path + "\0"), ref buffer, ref capacity);

            Assert.Equal(content.Length, length);
            Assert.True(capacity >= (nuint)content.Length);
            Assert.Equal(content, new ReadOnlySpan<byte>(buffer, (int)length).ToArray());
            Assert.Equal(-1, MappedImageTrim.ReadAll(Encoding.UTF8.GetBytes(path + ".missing\0"), ref buffer, ref capacity));
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(buffer);
            File.Delete(path);
        }
    }

    [Fact]
    public void This_process_s_maps_read_with_libc_calls_hold_its_own_loaded_CoreLib()
    {
        var coreLib = typeof(object).Assembly.Location;

        var read = MappedImageTrim.ReadMaps().Select(m => $"{m.Start:x}-{m.End:x}").ToHashSet();

        // What File.ReadAllLines shows of CoreLib (loaded at start, never unmapped) is among what ReadMaps read.
        var expected = File.ReadAllLines("/proc/self/maps").Where(line => line.EndsWith(" " + coreLib, StringComparison.Ordinal))
            .Select(line => line[..line.IndexOf(' ', StringComparison.Ordinal)]).ToHashSet();
        Assert.NotEmpty(expected);
        Assert.Subset(read, expected);
    }

    [Fact]
    public void Pagemap_entries_count_resident_pages_and_those_that_are_not_the_files()
    {
        ReadOnlySpan<ulong> entries =
        [
            MappedImageTrim.PagePresent | MappedImageTrim.PageFileOrSharedAnonymous | 0x1234, // the file's page
            MappedImageTrim.PagePresent | 0x5678, // present, not the file's: copied on write
            MappedImageTrim.PageSwapped | 0x42, // swapped out: only anonymous pages are
            0, // not resident
            MappedImageTrim.PagePresent | MappedImageTrim.PageFileOrSharedAnonymous,
        ];
        long resident = 0, notFromFile = 0;

        MappedImageTrim.Classify(entries, entries.Length, ref resident, ref notFromFile);

        Assert.Equal(3, resident);
        Assert.Equal(2, notFromFile);
    }

    [Fact]
    public void Pagemap_tells_a_relocated_read_only_mapping_from_a_clean_one_in_this_very_process()
    {
        if (!OperatingSystem.IsLinux()) return;
        // A file named like a library, mapped twice privately: once read-only and read (clean), once written while it was
        // writable and then made read-only, as the dynamic loader does with relocated data (RELRO).
        var path = Path.Combine(Path.GetTempPath(), $"elf-trim-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(path, Enumerable.Range(0, 4 * 4096).Select(i => (byte)i).ToArray());
        var length = (nuint)(4 * 4096);
        nint clean = -1, relocated = -1;
        try
        {
            using (var file = File.OpenHandle(path))
            {
                var fd = (int)file.DangerousGetHandle();
                clean = Mmap(0, length, ProtRead, MapPrivate, fd, 0);
                relocated = Mmap(0, length, ProtRead | ProtWrite, MapPrivate, fd, 0);
            }
            Assert.NotEqual(-1, clean);
            Assert.NotEqual(-1, relocated);
            Assert.Equal(1, System.Runtime.InteropServices.Marshal.ReadByte(clean, 4097));
            System.Runtime.InteropServices.Marshal.WriteByte(relocated, 4096, 0x5a);
            Assert.Equal(0, Mprotect(relocated, length, ProtRead));

            var maps = MappedImageTrim.ReadMaps();
            var ours = MappedImageTrim.Candidates(maps, maps).Where(m => m.Start == (ulong)clean || m.Start == (ulong)relocated).ToArray();
            Assert.Equal(2, ours.Length);
            var counted = MappedImageTrim.CountPages(ours);
            var cleanCounted = counted.Single(m => m.Start == (ulong)clean);
            var relocatedCounted = counted.Single(m => m.Start == (ulong)relocated);

            Assert.True(cleanCounted.ResidentKib >= 4, $"clean: {cleanCounted}");
            Assert.Equal(0, cleanCounted.AnonymousKib);
            Assert.Equal(Environment.SystemPageSize / 1024, relocatedCounted.AnonymousKib);
            var droppable = MappedImageTrim.Droppable(counted, maps);
            Assert.Equal((ulong)clean, Assert.Single(droppable).Start);
        }
        finally
        {
            if (clean != -1) _ = Munmap(clean, length);
            if (relocated != -1) _ = Munmap(relocated, length);
            File.Delete(path);
        }
    }

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int Mprotect(nint address, nuint length, int protection);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "munmap")]
    private static extern int Munmap(nint address, nuint length);

    [Theory]
    [InlineData("/usr/lib/x86_64-linux-gnu/libc.so.6", true)]
    [InlineData("/usr/lib/libcrypto.so.3", true)]
    [InlineData("/opt/elf/libgit2-5853918.so", true)]
    [InlineData("/opt/elf/Akka.dll", true)]
    [InlineData(Executable, true)]
    [InlineData("/opt/elf/elf-host.old", false)]
    [InlineData("/opt/elf/notes.so.txt", false)]
    [InlineData("/tmp/m/.git/objects/pack/pack-1.idx", false)]
    [InlineData("/tmp/m/memory/index.db", false)]
    [InlineData("/memfd:doublemapper (deleted)", false)]
    [InlineData("/opt/elf/Akka.dll (deleted)", false)]
    [InlineData("[heap]", false)]
    [InlineData("", false)]
    public void A_loaded_image_is_a_library_an_assembly_or_the_executable(string path, bool image)
    {
        var mapping = Assert.Single(Parse($"7f0000000000-7f0000001000 r--p 00000000 fe:00 1 {path}\n", loadedImagesOnly: false));
        Assert.Equal(image, mapping.File == MappedFile.LoadedImage);
    }

    [Fact]
    public void Lines_that_are_not_mappings_are_skipped()
    {
        Assert.Empty(Parse("Rss: 4 kB\nnot a mapping\n7fg0-7f10 r--p 0 fe:00 1 /a.dll\n7f00-7f10 rwzp 0 fe:00 1 /a.dll\n7f00-7f10 r--p 0 fe00 1 /a.dll\n", loadedImagesOnly: false));
    }
}
