using ElfActors.Contracts;
using ElfActors.Core.Files;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A host's recorders write each record into an empty file the pool made ahead of need (docs/adr/0080): the record's
/// file is one of the pool's inodes, the pool is refilled, and its files are never committed nor left behind. Real
/// files, a real git repository, checked with lstat and git.
/// </summary>
public sealed class RecordFilePoolTests(ITestOutputHelper output)
{
    private static ulong[] PoolInodes(string directory) =>
        Directory.GetFiles(directory, RecordFilePool.FilePrefix + "*").Select(p => Posix.LinkStatus(p)!.Value.Inode).ToArray();

    [Fact]
    public async Task A_record_takes_a_pool_files_inode_the_pool_is_refilled_and_nothing_of_it_reaches_git_or_outlives_the_host()
    {
        if (!OperatingSystem.IsLinux()) return; // renameat2 is Linux's
        using var memory = new TempMemory();
        var pool = RecordFilePool.DirectoryIn(memory.Paths);
        const int size = 4;
        var host = await ElfTestHost.StartAsync(memory.Paths, $"elf.recorder.file-pool-size = {size}");
        try
        {
            var kit = host.Kit(output);
            kit.AwaitCondition(() => Directory.Exists(pool) && PoolInodes(pool).Length == size, TimeSpan.FromSeconds(20));
            var ready = PoolInodes(pool);

            var recorded = Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(1)));

            var file = Posix.LinkStatus(memory.Paths.Absolute(recorded.RelativePath))!.Value;
            Assert.Contains(file.Inode, ready); // made ahead of need, not on the record's path
            Assert.Equal(0x180u, file.Permissions); // 0600, as ELF's scripts write
            kit.AwaitCondition(() => PoolInodes(pool).Length == size, TimeSpan.FromSeconds(20)); // refilled

            var more = new List<Recorded> { recorded };
            for (var i = 2; i <= size + 2; i++) more.Add(Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(i))));
            await host.FlushAsync();
            MemoryAssert.EveryRecordLandedExactlyOnce(memory, more);
            Assert.Equal("", Tools.Git(memory.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
            Assert.DoesNotContain(".elf/", Tools.Git(memory.BasePath, "ls-files"));
        }
        finally
        {
            await host.DisposeAsync();
        }
        Assert.Empty(PoolInodes(pool)); // removed when the host stopped
    }
}
