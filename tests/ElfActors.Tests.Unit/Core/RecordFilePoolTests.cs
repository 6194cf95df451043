using ElfActors.Contracts;
using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// A record's file written into an empty file made ahead of need and renamed to its final name without replacing
/// anything (ADR 0080): real files in a temp memory, checked with lstat, the file's text and git.
/// </summary>
public sealed class RecordFilePoolTests : IDisposable
{
    private readonly TempMemory _memory = new();
    private string PoolDirectory => RecordFilePool.DirectoryIn(_memory.Paths);
    private string Final(string name) => Path.Combine(_memory.FailuresDirectory, name);

    public void Dispose() => _memory.Dispose();

    private RecordFilePool Pool(int size = 2)
    {
        var pool = new RecordFilePool(PoolDirectory, size, background: false);
        pool.Refill();
        return pool;
    }

    // Each place itself (kind, mode, owner, size) and everything in it, recursively.
    private string Listing(string elsewhere) =>
        Tools.Run("stat", _memory.BasePath, "-c", "%n %F %a %u %s", PoolDirectory, elsewhere).Stdout
        + Tools.Run("ls", _memory.BasePath, "-lAnR", _memory.Paths.StateDirectory, elsewhere).Stdout;

    private static string[] PoolFiles(string directory) => Directory.GetFiles(directory, RecordFilePool.FilePrefix + "*");

    [Fact]
    public void A_record_takes_a_pool_file_with_its_content_mode_0600_and_one_link_and_the_pool_is_refilled()
    {
        if (!OperatingSystem.IsLinux()) return; // renameat2 is Linux's
        using var pool = Pool(size: 2);
        var pooled = PoolFiles(PoolDirectory);
        Assert.Equal(2, pooled.Length);
        var inodes = pooled.Select(p => Posix.LinkStatus(p)!.Value.Inode).ToHashSet();

        AtomicFile.CreateRecord(Final("2026-12-06-a.md"), "# a\n", flushToDisk: true, pool);

        var status = Posix.LinkStatus(Final("2026-12-06-a.md"))!.Value;
        Assert.Equal("# a\n", File.ReadAllText(Final("2026-12-06-a.md")));
        Assert.True(status.IsRegularFile);
        Assert.Equal(0x180u, status.Permissions); // 0600
        Assert.Contains(status.Inode, inodes); // the pool's inode, not a new one
        Assert.Equal(1, pool.Ready);
        Assert.Single(PoolFiles(PoolDirectory));

        Assert.Equal(1, pool.Refill());
        Assert.Equal(2, pool.Ready);
        Assert.Equal(2, PoolFiles(PoolDirectory).Length);
    }

    [Fact]
    public void A_file_or_a_hard_link_already_at_the_final_name_is_never_overwritten_and_the_written_pool_file_is_removed()
    {
        if (!OperatingSystem.IsLinux()) return; // renameat2 is Linux's
        using var pool = Pool(size: 3);
        Directory.CreateDirectory(_memory.FailuresDirectory);
        File.WriteAllText(Final("taken.md"), "someone else's\n");
        var elsewhere = Path.Combine(_memory.BasePath, "elsewhere.md");
        File.WriteAllText(elsewhere, "linked\n");
        Assert.Equal(0, Tools.Run("ln", _memory.BasePath, elsewhere, Final("linked.md")).ExitCode); // a hard link

        Assert.ThrowsAny<IOException>(() => AtomicFile.CreateRecord(Final("taken.md"), "# mine\n", flushToDisk: false, pool));
        Assert.ThrowsAny<IOException>(() => AtomicFile.CreateRecord(Final("linked.md"), "# mine\n", flushToDisk: false, pool));

        Assert.Equal("someone else's\n", File.ReadAllText(Final("taken.md")));
        Assert.Equal("linked\n", File.ReadAllText(Final("linked.md")));
        Assert.Equal("linked\n", File.ReadAllText(elsewhere));
        Assert.Single(PoolFiles(PoolDirectory)); // the two written pool files are gone, not back in the pool
        Assert.Equal(1, pool.Ready);

        // The same content already there (a retry, start-up repair) counts as written, as without a pool.
        File.WriteAllText(Final("same.md"), "# same\n");
        AtomicFile.CreateRecord(Final("same.md"), "# same\n", flushToDisk: false, pool);
        Assert.Equal("# same\n", File.ReadAllText(Final("same.md")));
    }

    [Fact]
    public void An_empty_pool_falls_back_to_creating_the_file_at_its_final_name_and_asks_for_a_refill()
    {
        using var pool = new RecordFilePool(PoolDirectory, size: 2, background: false);
        Assert.Equal(0, pool.Ready);

        AtomicFile.CreateRecord(Final("2026-12-06-b.md"), "# b\n", flushToDisk: false, pool);

        Assert.Equal("# b\n", File.ReadAllText(Final("2026-12-06-b.md")));
        Assert.Empty(PoolFiles(PoolDirectory));
    }

    [Fact]
    public void A_pool_on_another_file_system_falls_back_and_is_not_used_again()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/dev/shm")) return; // needs a tmpfs at /dev/shm
        Assert.NotEqual(Posix.Status("/dev/shm", true)!.Value.Device, Posix.Status(_memory.BasePath, true)!.Value.Device);
        var elsewhere = Path.Combine("/dev/shm", "elf-pool-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            using var pool = new RecordFilePool(elsewhere, size: 2, background: false);
            pool.Refill();
            Assert.True(pool.Usable);

            AtomicFile.CreateRecord(Final("2026-12-06-c.md"), "# c\n", flushToDisk: false, pool);

            Assert.Equal("# c\n", File.ReadAllText(Final("2026-12-06-c.md")));
            Assert.False(pool.Usable); // EXDEV: every later record creates its file itself
            Assert.Single(PoolFiles(elsewhere)); // the written one removed
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public void A_pool_file_replaced_by_a_link_is_never_written_through()
    {
        if (!OperatingSystem.IsLinux()) return; // renameat2 is Linux's
        using var pool = Pool(size: 1);
        var pooled = Assert.Single(PoolFiles(PoolDirectory));
        var target = Path.Combine(_memory.BasePath, "target.txt");
        File.WriteAllText(target, ""); // empty, ours, one link: only O_NOFOLLOW stops a write through the link
        File.Delete(pooled);
        File.CreateSymbolicLink(pooled, target);

        AtomicFile.CreateRecord(Final("2026-12-06-d.md"), "# d\n", flushToDisk: false, pool);

        Assert.Equal("", File.ReadAllText(target));
        Assert.Equal("# d\n", File.ReadAllText(Final("2026-12-06-d.md")));
        Assert.False(Posix.LinkStatus(Final("2026-12-06-d.md"))!.Value.IsSymbolicLink);
        Assert.False(File.Exists(pooled) || Posix.LinkStatus(pooled) is not null);
    }

    [Fact]
    public async Task A_pool_file_replaced_by_a_hard_link_a_fifo_or_another_users_file_is_never_written_and_the_record_still_lands()
    {
        if (!OperatingSystem.IsLinux()) return; // renameat2 is Linux's
        using var pool = Pool(size: 3);
        var pooled = PoolFiles(PoolDirectory).Order().ToArray();
        Assert.Equal(3, pooled.Length);
        // A hard link to an empty file of ours (two links), a FIFO (an open for writing would wait for a reader), and an
        // empty file of another user's (root only: chown).
        var linked = Path.Combine(_memory.BasePath, "linked.txt");
        File.WriteAllText(linked, "");
        File.Delete(pooled[0]);
        Assert.Equal(0, Tools.Run("ln", _memory.BasePath, linked, pooled[0]).ExitCode);
        File.Delete(pooled[1]);
        Assert.Equal(0, Tools.Run("mkfifo", _memory.BasePath, pooled[1]).ExitCode);
        var root = Posix.EffectiveUserId == 0;
        if (root) Assert.Equal(0, Tools.Run("chown", _memory.BasePath, "65534:65534", pooled[2]).ExitCode);

        // On a thread of its own with a bound: a write through the FIFO would block until someone reads it.
        var creating = Task.Run(() => AtomicFile.CreateRecord(Final("2026-12-06-e.md"), "# e\n", flushToDisk: false, pool));
        var finished = await Task.WhenAny(creating, Task.Delay(TimeSpan.FromSeconds(20))) == creating;
        if (!finished) using (File.OpenRead(pooled[1])) { } // free the blocked writer before failing
        Assert.True(finished, "the record's write blocked on a FIFO in the pool");
        await creating;

        Assert.Equal("# e\n", File.ReadAllText(Final("2026-12-06-e.md")));
        Assert.Equal("", File.ReadAllText(linked)); // never written through the second link
        var landed = Posix.LinkStatus(Final("2026-12-06-e.md"))!.Value;
        Assert.Equal(Posix.EffectiveUserId, landed.Owner);
        Assert.NotEqual(Posix.LinkStatus(linked)!.Value.Inode, landed.Inode);
        Assert.DoesNotContain(pooled[0], PoolFiles(PoolDirectory)); // the replaced ones removed
        Assert.DoesNotContain(pooled[1], PoolFiles(PoolDirectory));
        if (root) Assert.Empty(PoolFiles(PoolDirectory)); // the other user's too: every pool file was rejected
    }

    [Theory]
    [InlineData("symlink")]
    [InlineData("file")]
    [InlineData("others may write")]
    [InlineData("others may write memory/.elf")]
    [InlineData("another user's")]
    public void A_squatted_pool_folder_is_not_used_nor_written_through_and_records_create_their_files_at_their_names(string squatter)
    {
        if (!OperatingSystem.IsLinux()) return; // the pool is Linux's
        if (squatter == "another user's" && Posix.EffectiveUserId != 0) return; // chown needs root
        Directory.CreateDirectory(_memory.Paths.StateDirectory);
        var elsewhere = Path.Combine(_memory.BasePath, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var planted = Path.Combine(elsewhere, RecordFilePool.FilePrefix + "1-1"); // a pool file's name: never removed there
        File.WriteAllText(planted, "someone's\n");
        switch (squatter)
        {
            case "symlink":
                File.CreateSymbolicLink(PoolDirectory, elsewhere);
                break;
            case "file":
                File.WriteAllText(PoolDirectory, "a file\n");
                break;
            case "others may write":
                Directory.CreateDirectory(PoolDirectory);
                File.SetUnixFileMode(PoolDirectory, (UnixFileMode)0x1FF); // 0777
                File.WriteAllText(Path.Combine(PoolDirectory, RecordFilePool.FilePrefix + "2-2"), "someone's\n");
                break;
            case "others may write memory/.elf":
                File.SetUnixFileMode(_memory.Paths.StateDirectory, (UnixFileMode)0x1FF); // 0777: the pool's folder could be replaced
                break;
            default:
                Directory.CreateDirectory(PoolDirectory);
                File.WriteAllText(Path.Combine(PoolDirectory, RecordFilePool.FilePrefix + "2-2"), "someone's\n");
                Assert.Equal(0, Tools.Run("chown", _memory.BasePath, "-R", "65534:65534", PoolDirectory).ExitCode);
                break;
        }
        var before = Listing(elsewhere);

        string? notUsedBecause;
        bool usable;
        using (var pool = new RecordFilePool(PoolDirectory, size: 2, background: false))
        {
            pool.Refill();
            AtomicFile.CreateRecord(Final("2026-12-06-f.md"), "# f\n", flushToDisk: false, pool);
            (usable, notUsedBecause) = (pool.Usable, pool.NotUsedBecause);
        }

        Assert.Equal("# f\n", File.ReadAllText(Final("2026-12-06-f.md")));
        // Nothing in the squatted place or behind it was made, changed or removed, before or after the pool's end.
        Assert.Equal(before, Listing(elsewhere));
        Assert.Equal("someone's\n", File.ReadAllText(planted));
        Assert.False(usable);
        Assert.Contains(_memory.Paths.StateDirectory, notUsedBecause); // what the host logs: the folder, or memory/.elf/
    }

    [Fact]
    public void Pool_files_left_by_a_crash_are_removed_at_start_and_never_seen_by_git()
    {
        GitStore.EnsureRepository(_memory.Paths);
        Directory.CreateDirectory(PoolDirectory);
        File.WriteAllText(Path.Combine(PoolDirectory, RecordFilePool.FilePrefix + "7-12345"), "half a rec");
        File.WriteAllText(Path.Combine(PoolDirectory, RecordFilePool.FilePrefix + "8-12345"), "");

        Assert.DoesNotContain(".elf", Tools.Git(_memory.BasePath, "status", "--porcelain", "--untracked-files=all"));

        using (var pool = Pool(size: 2))
        {
            var left = PoolFiles(PoolDirectory);
            Assert.Equal(2, left.Length);
            Assert.All(left, p => Assert.Equal(0, new FileInfo(p).Length)); // the leftovers are gone, new empty ones made
            Assert.DoesNotContain(left, p => p.EndsWith("-12345", StringComparison.Ordinal));
            Tools.Git(_memory.BasePath, "add", "-A");
            Assert.DoesNotContain(".elf", Tools.Git(_memory.BasePath, "ls-files"));
        }
        Assert.Empty(PoolFiles(PoolDirectory)); // disposed: removed
    }
}
