using ElfActors.Actors;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Microsoft.Data.Sqlite;

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

    [Fact]
    public void A_read_torn_by_a_checkpoint_writing_the_main_file_is_not_taken_for_an_overwrite()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        Assert.Equal(IndexFileState.Current, index.FileState());
        var original = File.ReadAllBytes(_memory.DatabasePath);
        // What a read of the main file sees while a checkpoint rewrites it in place: pages half written (here the
        // header, and a size of its own so that the stat differs whatever the clock's tick).
        var torn = original.Concat(new byte[4096]).ToArray();
        Array.Clear(torn, 0, 16);
        WriteInPlace(torn);
        var reads = 0;
        // The checkpoint ends after the read made at once to confirm (the old confirmation saw the same tear).
        index.BetweenOverwriteReads = () =>
        {
            if (++reads == 2) WriteInPlace(original);
        };

        Assert.Equal(IndexFileState.Current, index.FileState());
        Assert.True(reads >= 2, $"{reads} confirming reads");
        index.BetweenOverwriteReads = null;
        Assert.Equal(IndexFileState.Current, index.FileState());
        Assert.Equal(index.Identity, Tools.Sqlite(_memory.DatabasePath, "SELECT value FROM elf_state WHERE name = 'index_id'").Single()[0]);
    }

    [Fact]
    public void A_main_file_a_partial_checkpoint_left_unreadable_on_its_own_is_not_taken_for_an_overwrite()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        using var writer = Connect();
        Execute(writer, "PRAGMA wal_autocheckpoint = 0; CREATE TABLE filler(x BLOB);");
        Execute(writer, Grow(200));
        Execute(writer, "PRAGMA wal_checkpoint(TRUNCATE);");
        Assert.Equal(IndexFileState.Current, index.FileState()); // its identity seen in the main file

        // The database grows (page 1's page count, in the WAL); a reader's snapshot then pins it; the newest pages are
        // written again after the snapshot. A PASSIVE checkpoint copies page 1 but not those pages (their newest frame
        // is past what it may copy), and leaves the file its old size: the main file alone says it has more pages than
        // it holds, until a later checkpoint copies the rest. What a host under load left its index in (2026-12-06).
        Execute(writer, Grow(100));
        using var reader = Connect();
        Execute(reader, "BEGIN; SELECT COUNT(*) FROM filler;");
        Execute(writer, "UPDATE filler SET x = randomblob(1000) WHERE rowid > 280;");
        var (walFrames, checkpointed) = Checkpoint(writer);
        Assert.True(checkpointed > 0 && checkpointed < walFrames, $"{checkpointed} of {walFrames} frames checkpointed: not a partial checkpoint");
        Assert.Equal(MemoryIndex.MainFileRead.Inconsistent, MemoryIndex.ReadMainFile(_memory.DatabasePath).Read);

        Assert.Equal(IndexFileState.Current, index.FileState());

        Execute(reader, "COMMIT;");
        Execute(writer, "PRAGMA wal_checkpoint(TRUNCATE);");
        Assert.Equal(IndexFileState.Current, index.FileState());
        Assert.Equal((MemoryIndex.MainFileRead.Identity, index.Identity), MemoryIndex.ReadMainFile(_memory.DatabasePath));
    }

    private static string Grow(int rows) =>
        $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO filler SELECT randomblob(1000) FROM n;";

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _memory.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        do
        {
            while (reader.Read()) { }
        }
        while (reader.NextResult());
    }

    private static (int WalFrames, int Checkpointed) Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetInt32(1), reader.GetInt32(2));
    }

    private void WriteInPlace(byte[] bytes)
    {
        using var file = new FileStream(_memory.DatabasePath, FileMode.Open, FileAccess.Write);
        file.Write(bytes);
        file.SetLength(bytes.Length);
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
