using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Core.Import;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;
using ElfActors.Host.Doctor;
using ElfActors.Tests.Support;
using Microsoft.Data.Sqlite;

namespace ElfActors.Tests.Core;

/// <summary>
/// A writer killed in a rollback-journal transaction leaves index.db beside a hot index.db-journal (a host killed as it
/// switched a new index to WAL did so in the kill -9 rounds: the next host failed to start with "attempt to write a
/// readonly database"). The state is made here as a kill leaves it: the files copied while a transaction whose pages
/// spilled into the database file is open.
/// </summary>
public sealed class HotJournalTests : IDisposable
{
    private readonly TempMemory _memory = new();

    public HotJournalTests()
    {
        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
        {
            var day = new DateOnly(2026, 12, 5);
            index.InsertRecords(Enumerable.Range(0, 40).Select(i =>
            {
                LearningValidator.Validate(new LearningInput($"Record {i}", "kill", "high", "x", new string('s', 400)), out var failure);
                return new RecordInsert($"r{i}", new LearningDraft(failure!, day));
            }).ToList(), DateTimeOffset.UtcNow);
        }
        LeaveHotJournal(_memory.DatabasePath);
    }

    [Fact]
    public void The_state_is_a_hot_journal_a_read_only_connection_cannot_read()
    {
        using var plain = new SqliteConnection($"Data Source={_memory.DatabasePath};Mode=ReadOnly;Pooling=False");
        plain.Open();
        using var command = plain.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM learnings";
        var refused = Assert.Throws<SqliteException>(() => command.ExecuteScalar());
        Assert.True(ReadOnlyIndex.IsHotJournal(refused), refused.Message);
    }

    [Fact]
    public void A_host_start_rolls_the_journal_back_and_keeps_every_row()
    {
        // Holds read the index read-only and threw: the host exited while starting.
        Assert.Null(IndexRebuild.IfMissing(_memory.Paths, ElfSettings.Default.Index, TimeProvider.System));
        Assert.False(File.Exists(_memory.DatabasePath + "-journal"));
        Assert.Equal(40, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(40, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox"));
        Assert.Equal("ok", Tools.Sqlite(_memory.DatabasePath, "PRAGMA integrity_check").Single()[0]);
    }

    [Fact]
    public void Readers_roll_it_back_too()
    {
        Assert.Equal(40, OutboxQueries.Counts(_memory.Paths).Pending);
        Assert.False(File.Exists(_memory.DatabasePath + "-journal"));
    }

    [Fact]
    public void The_doctor_reports_it_and_does_not_call_the_index_corrupt()
    {
        var check = MemoryDoctor.Database(_memory.DatabasePath);
        Assert.Equal(DoctorLevel.Warn, check.Level);
        Assert.Contains("index.db-journal", check.Message);
        Assert.True(File.Exists(_memory.DatabasePath + "-journal"), "the doctor only reads");
    }

    /// <summary>
    /// Rewrites the index at <paramref name="path"/> as a killed writer leaves it: in rollback-journal mode, a transaction
    /// that deleted every row spilled into the file, its journal beside it.
    /// </summary>
    private static void LeaveHotJournal(string path)
    {
        var work = path + ".work";
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = DELETE");
        }
        File.Copy(path, work);
        using (var writer = new SqliteConnection($"Data Source={work};Pooling=False"))
        {
            writer.Open();
            Execute(writer, "PRAGMA cache_size = 2");
            using var transaction = writer.BeginTransaction();
            Execute(writer, "DELETE FROM learnings; DELETE FROM elf_outbox; CREATE TABLE filler(x); " +
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO filler SELECT randomblob(300) FROM n", transaction);
            Assert.True(new FileInfo(work + "-journal").Length > 0, "the transaction has a journal");
            File.Copy(work, path, overwrite: true);
            File.Copy(work + "-journal", path + "-journal", overwrite: true);
        }
        foreach (var suffix in new[] { "", "-journal" }) File.Delete(work + suffix);
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _memory.Dispose();
}
