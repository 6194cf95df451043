using ElfActors.Actors;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>The index writer puts the index it has open back at memory/index.db (docs/reliability.md), checked with sqlite3.</summary>
public sealed class IndexFileGuardTests
{
    [Fact]
    public void The_index_is_put_back_even_when_the_memory_folder_itself_was_removed()
    {
        using var memory = new TempMemory();
        var index = MemoryIndex.Open(memory.Paths, ElfSettings.Default.Index);
        index.WriteState("probe", "kept");
        var identity = index.Identity;
        // A person's `git clean -fdx` while nothing in memory/ is tracked yet removes the folder with the index.
        Directory.Delete(memory.Paths.MemoryDirectory, recursive: true);

        using var kept = IndexFileGuard.KeepAtItsPath(index, memory.Paths, ElfSettings.Default.Index, TimeProvider.System, restore: true, _ => { });

        Assert.NotSame(index, kept);
        Assert.Equal(identity, Tools.Sqlite(memory.DatabasePath, "SELECT value FROM elf_state WHERE name = 'index_id'").Single()[0]);
        Assert.Equal("kept", Tools.Sqlite(memory.DatabasePath, "SELECT value FROM elf_state WHERE name = 'probe'").Single()[0]);
    }
}
