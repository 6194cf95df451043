using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.IndexWriterProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// The index writer, the one owner of the index's identity (docs/adr/0044): a mark made against an index since rebuilt
/// names outbox ids that now belong to other rows, and is dropped, not stored; an index overwritten in place is rebuilt
/// from the files (the records answered before it included) before anything more is written, and the asker told its
/// new identity. A writer of its own, on a memory of its own: the host's committer never touches its outbox.
/// </summary>
public sealed class IndexOverwriteTests(ITestOutputHelper output)
{
    private static RecordInsert Insert(string requestId, string title) => Support.Failures.LearningInsert(requestId, title, new DateOnly(2026, 11, 28));

    private static string Identity(string database) =>
        Tools.Sqlite(database, "SELECT value FROM elf_state WHERE name = 'index_id'").Single()[0];

    [Fact]
    public async Task A_mark_made_against_another_index_is_dropped_and_one_against_this_index_is_stored()
    {
        using var hostMemory = new TempMemory();
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(hostMemory.Paths);
        var kit = host.Kit(output);
        var probe = kit.CreateTestProbe();
        var writer = host.System.ActorOf(IndexWriterActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config), TimeProvider.System));

        writer.Tell(new InsertRecord(Insert("r1", "Marked once")), probe);
        Assert.IsType<InsertOutcome.Inserted>(probe.ExpectMsg<InsertReply>(TimeSpan.FromSeconds(10)).Outcome);
        var outboxId = Tools.SqliteScalar(memory.DatabasePath, "SELECT id FROM elf_outbox");

        writer.Tell(new MarkCommitted([outboxId], "stale-commit", DateTimeOffset.UtcNow, "an-index-since-rebuilt"), probe);
        var stale = probe.ExpectMsg<MarkedCommitted>(TimeSpan.FromSeconds(10));
        Assert.True(stale.Stale);
        Assert.Null(stale.Error);
        Assert.Equal(1, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));

        writer.Tell(new MarkCommitted([outboxId], "real-commit", DateTimeOffset.UtcNow, Identity(memory.DatabasePath)), probe);
        var stored = probe.ExpectMsg<MarkedCommitted>(TimeSpan.FromSeconds(10));
        Assert.False(stored.Stale);
        Assert.Null(stored.Error);
        Assert.Equal("real-commit", Tools.Sqlite(memory.DatabasePath, "SELECT commit_id FROM elf_outbox").Single()[0]);
    }

    [Fact]
    public async Task An_index_overwritten_in_place_is_rebuilt_from_the_files_and_marks_made_before_come_back_stale()
    {
        using var hostMemory = new TempMemory();
        using var memory = new TempMemory();
        using var other = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(hostMemory.Paths);
        var kit = host.Kit(output);
        var probe = kit.CreateTestProbe();
        Assert.Equal(0, Tools.Run("git", memory.BasePath, "init", "-q").ExitCode);
        var writer = host.System.ActorOf(IndexWriterActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config), TimeProvider.System));

        // A record answered and placed by its recorder, never committed: its file is all that is left of it after the overwrite.
        writer.Tell(new InsertRecord(Insert("r1", "Before the overwrite")), probe);
        var inserted = Assert.IsType<InsertOutcome.Inserted>(probe.ExpectMsg<InsertReply>(TimeSpan.FromSeconds(10)).Outcome);
        Assert.Null(RecordFiles.Create(memory.Paths, false, inserted));
        writer.Tell(CheckIndexFile.Instance, probe);
        var before = probe.ExpectMsg<IndexInPlace>(TimeSpan.FromSeconds(10)).Identity;
        Assert.Equal(Identity(memory.DatabasePath), before);
        var outboxId = Tools.SqliteScalar(memory.DatabasePath, "SELECT id FROM elf_outbox");

        // Another memory's index copied over it in place.
        using (MemoryIndex.Open(other.Paths, ElfSettings.Default.Index)) { }
        var inode = Tools.Run("stat", "/", "-c", "%i", memory.DatabasePath).Stdout;
        Assert.Equal(0, Tools.Run("cp", "/", other.DatabasePath, memory.DatabasePath).ExitCode);
        Assert.Equal(inode, Tools.Run("stat", "/", "-c", "%i", memory.DatabasePath).Stdout);

        // A mark made before, and the committer's question, wait for the rebuild: the mark then comes back stale.
        writer.Tell(new MarkCommitted([outboxId], "old-commit", DateTimeOffset.UtcNow, before), probe);
        writer.Tell(CheckIndexFile.Instance, probe);
        var after = probe.ExpectMsg<IndexInPlace>(TimeSpan.FromSeconds(20)).Identity;
        Assert.NotEqual(before, after);
        Assert.True(probe.ExpectMsg<MarkedCommitted>(TimeSpan.FromSeconds(10)).Stale);

        // Counted from the rebuilt file: the record's row, queued for a commit; nothing of the other memory's index.
        Assert.Equal(after, Identity(memory.DatabasePath));
        Assert.Equal([inserted.RelativePath], Tools.Sqlite(memory.DatabasePath, "SELECT filepath FROM learnings").Select(r => r[0]));
        Assert.Equal([inserted.RelativePath], Tools.Sqlite(memory.DatabasePath, "SELECT relpath FROM elf_outbox WHERE commit_id IS NULL").Select(r => r[0]));
        // What was copied over it is kept aside (with the WAL and shared memory the host had), never deleted.
        Assert.Single(Directory.EnumerateFiles(memory.Paths.MemoryDirectory, "index.db-overwritten-*"), f => !f.EndsWith("-wal", StringComparison.Ordinal) && !f.EndsWith("-shm", StringComparison.Ordinal));

        // Writes go on into the rebuilt index.
        writer.Tell(new InsertRecord(Insert("r2", "After the overwrite")), probe);
        Assert.IsType<InsertOutcome.Inserted>(probe.ExpectMsg<InsertReply>(TimeSpan.FromSeconds(10)).Outcome);
        Assert.Equal(2, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
    }
}
