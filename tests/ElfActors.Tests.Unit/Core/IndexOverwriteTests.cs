using ElfActors.Actors;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// memory/index.db overwritten in place (same inode) under an open connection (docs/adr/0044): told from the index's
/// own checkpoints, which change the main file too, by the identity read from the main file alone.
/// </summary>
public sealed class IndexOverwriteTests : IDisposable
{
    private readonly TempMemory _memory = new();
    private readonly TempMemory _other = new();

    public void Dispose()
    {
        _memory.Dispose();
        _other.Dispose();
    }

    private string Inode() => Tools.Run("stat", "/", "-c", "%i", _memory.DatabasePath).Stdout.Trim();

    private void CopyInPlace(string from)
    {
        var inode = Inode();
        var (exit, _, error) = Tools.Run("cp", "/", from, _memory.DatabasePath);
        Assert.True(exit == 0, error);
        Assert.Equal(inode, Inode()); // the same file, other bytes
    }

    [Fact]
    public void Its_own_checkpoints_leave_the_index_current()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        for (var i = 0; i < 5; i++)
        {
            index.WriteState("probe", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var before = new FileInfo(_memory.DatabasePath).LastWriteTimeUtc;
            // Another connection's open checkpoints the WAL into the main file.
            using (MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index)) { }
            Assert.NotEqual(before, new FileInfo(_memory.DatabasePath).LastWriteTimeUtc);
            Assert.Equal(IndexFileState.Current, index.FileState());
        }
    }

    [Fact]
    public void Another_memorys_index_copied_over_it_is_overwritten_for_good()
    {
        using (MemoryIndex.Open(_other.Paths, ElfSettings.Default.Index)) { }
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        Assert.Equal(IndexFileState.Current, index.FileState());

        CopyInPlace(_other.DatabasePath);

        Assert.Equal(IndexFileState.Overwritten, index.FileState());
        Assert.Equal(IndexFileState.Overwritten, index.FileState());
    }

    [Theory]
    [InlineData("a person's notes\n", 400)]
    [InlineData("", 0)] // truncated to nothing: no identity where this index's was seen
    public void A_file_that_is_no_database_or_an_empty_one_copied_over_it_is_overwritten(string line, int times)
    {
        var copied = Path.Combine(_other.BasePath, "copied");
        File.WriteAllText(copied, string.Concat(Enumerable.Repeat(line, times)));
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);

        CopyInPlace(copied);

        Assert.Equal(IndexFileState.Overwritten, index.FileState());
    }
}
