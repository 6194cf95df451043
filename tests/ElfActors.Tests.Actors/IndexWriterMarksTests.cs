using System.Buffers.Binary;
using Akka.Actor;
using Akka.TestKit;
using ElfActors.Actors;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static ElfActors.Actors.IndexWriterProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A commit's marks are stored in the transaction of the inserts queued when they came, not in one of their own ahead of
/// those inserts: one transaction, one WAL fsync fewer on the index writer's thread per commit at 5,000 records a second
/// (docs/adr/0070).
/// </summary>
public sealed class IndexWriterMarksTests(ITestOutputHelper output)
{
    private static RecordInsert Insert(string requestId, string title) => Support.Failures.LearningInsert(requestId, title, new DateOnly(2026, 12, 5));

    /// <summary>
    /// Transactions committed in the WAL since it was last started again, read from the file itself: frames whose salts are
    /// the header's (the current WAL) and whose "database size after commit" field is set (the last frame of a commit).
    /// </summary>
    private static int WalCommits(string database)
    {
        var wal = File.ReadAllBytes(database + "-wal");
        if (wal.Length < 32) return 0;
        var pageSize = (int)BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(8));
        var salt1 = BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(16));
        var salt2 = BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(20));
        var commits = 0;
        for (var frame = 32; frame + 24 + pageSize <= wal.Length; frame += 24 + pageSize)
        {
            var header = wal.AsSpan(frame, 24);
            if (BinaryPrimitives.ReadUInt32BigEndian(header[8..]) != salt1 || BinaryPrimitives.ReadUInt32BigEndian(header[12..]) != salt2) break;
            if (BinaryPrimitives.ReadUInt32BigEndian(header[4..]) != 0) commits++;
        }
        return commits;
    }

    /// <summary>One record inserted (to be marked committed), the index file's identity and the record's outbox row.</summary>
    private static (InsertOutcome.Inserted Inserted, string Identity, long OutboxId) StoreOneRecord(IActorRef writer, TestProbe probe, TempMemory memory)
    {
        writer.Tell(new InsertRecord(Insert("r0", "Committed")), probe);
        var inserted = Assert.IsType<InsertOutcome.Inserted>(probe.ExpectMsg<InsertReply>(TimeSpan.FromSeconds(10)).Outcome);
        writer.Tell(CheckIndexFile.Instance, probe);
        var identity = probe.ExpectMsg<IndexInPlace>(TimeSpan.FromSeconds(10)).Identity;
        return (inserted, identity, Tools.SqliteScalar(memory.DatabasePath, "SELECT id FROM elf_outbox"));
    }

    /// <summary>
    /// Runs <paramref name="tell"/> while another connection holds the database's write lock: the writer's next
    /// transaction waits for it (its busy timeout), so everything told is queued, whatever the threads' timing, until the
    /// lock is let go.
    /// </summary>
    private static void WhileAnotherConnectionHoldsTheWriteLock(string database, Action tell)
    {
        using var holder = new SqliteConnection($"Data Source={database};Pooling=False");
        holder.Open();
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }
        tell();
        using var rollback = holder.CreateCommand();
        rollback.CommandText = "ROLLBACK";
        rollback.ExecuteNonQuery();
    }

    [Fact]
    public async Task A_commits_marks_are_stored_in_one_transaction_with_the_inserts_queued_when_they_came()
    {
        using var hostMemory = new TempMemory();
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(hostMemory.Paths);
        var probe = host.Kit(output).CreateTestProbe();
        var writer = host.System.ActorOf(IndexWriterActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config), TimeProvider.System));

        // A record stored, to be marked committed below.
        var (_, identity, outboxId) = StoreOneRecord(writer, probe, memory);
        var commitsBefore = WalCommits(memory.DatabasePath);

        WhileAnotherConnectionHoldsTheWriteLock(memory.DatabasePath, () =>
        {
            // An appending recorder's batch (a transaction of its own), ten records, then the committer's marks, seen by the
            // writer ahead of the ten (its mailbox's priority).
            writer.Tell(new InsertRecords([Insert("b1", "Batch one"), Insert("b2", "Batch two")]), probe);
            for (var i = 1; i <= 10; i++) writer.Tell(new InsertRecord(Insert($"r{i}", $"Queued {i}")), probe);
            writer.Tell(new MarkCommitted([outboxId], "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UtcNow, identity), probe);
        });

        // The marks are answered after the ten inserts queued before them: stored in their transaction, not ahead of it.
        var replies = probe.ReceiveN(12, TimeSpan.FromSeconds(30)).ToList();
        Assert.IsType<InsertRecordsReply>(replies[0]);
        Assert.All(replies.Skip(1).Take(10), reply => Assert.IsType<InsertOutcome.Inserted>(Assert.IsType<InsertReply>(reply).Outcome));
        var marked = Assert.IsType<MarkedCommitted>(replies[11]);
        Assert.Null(marked.Error);
        Assert.False(marked.Stale);

        // Read from the files: two transactions (the batch's; the ten inserts' with the marks), not three.
        Assert.Equal(2, WalCommits(memory.DatabasePath) - commitsBefore);
        Assert.Equal(13, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(["0123456789abcdef0123456789abcdef01234567"],
            Tools.Sqlite(memory.DatabasePath, $"SELECT commit_id FROM elf_outbox WHERE id = {outboxId}").Select(r => r[0]));
        Assert.Equal(12, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
    }

    [Fact]
    public async Task Behind_a_backlog_a_commits_marks_wait_for_a_bounded_number_of_inserts_not_for_the_whole_backlog()
    {
        using var hostMemory = new TempMemory();
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(hostMemory.Paths);
        var probe = host.Kit(output).CreateTestProbe();
        var writer = host.System.ActorOf(IndexWriterActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config), TimeProvider.System));

        var (_, identity, outboxId) = StoreOneRecord(writer, probe, memory);

        // A backlog of two and a half times the bound queued behind a write lock, then a commit's marks.
        const int queued = IndexWriterActor.InsertsWithMarksAtMost * 5 / 2;
        WhileAnotherConnectionHoldsTheWriteLock(memory.DatabasePath, () =>
        {
            writer.Tell(new InsertRecords([Insert("b1", "Batch one")]), probe);
            for (var i = 1; i <= queued; i++) writer.Tell(new InsertRecord(Insert($"r{i}", $"Queued {i}")), probe);
            writer.Tell(new MarkCommitted([outboxId], "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UtcNow, identity), probe);
        });

        // The marks are answered right after the bound's inserts, ahead of the rest of the backlog.
        var replies = probe.ReceiveN(queued + 2, TimeSpan.FromSeconds(60)).ToList();
        Assert.IsType<InsertRecordsReply>(replies[0]);
        var marksAt = replies.FindIndex(reply => reply is MarkedCommitted);
        Assert.Equal(1 + IndexWriterActor.InsertsWithMarksAtMost, marksAt);
        Assert.Null(((MarkedCommitted)replies[marksAt]).Error);
        Assert.Equal(queued, replies.OfType<InsertReply>().Count(reply => reply.Outcome is InsertOutcome.Inserted));
        Assert.Equal(["0123456789abcdef0123456789abcdef01234567"],
            Tools.Sqlite(memory.DatabasePath, $"SELECT commit_id FROM elf_outbox WHERE id = {outboxId}").Select(r => r[0]));
        Assert.Equal(queued + 2, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
    }

    [Fact]
    public async Task With_nothing_queued_a_commits_marks_are_stored_and_announced_at_once()
    {
        using var hostMemory = new TempMemory();
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(hostMemory.Paths);
        var kit = host.Kit(output);
        var probe = kit.CreateTestProbe();
        var announcements = kit.CreateTestProbe();
        host.System.EventStream.Subscribe(announcements, typeof(CommitterProtocol.RecordsCommitted));
        var writer = host.System.ActorOf(IndexWriterActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config), TimeProvider.System));

        var (inserted, identity, outboxId) = StoreOneRecord(writer, probe, memory);
        var commitsBefore = WalCommits(memory.DatabasePath);

        const string commit = "89abcdef0123456789abcdef0123456789abcdef";
        var announce = new CommitterProtocol.RecordsCommitted([inserted.RecordId], commit, DateTimeOffset.UtcNow);
        writer.Tell(new MarkCommitted([outboxId], commit, DateTimeOffset.UtcNow, identity, announce), probe);
        Assert.Null(probe.ExpectMsg<MarkedCommitted>(TimeSpan.FromSeconds(10)).Error);
        // Announced once stored: whoever is told finds the outbox saying so.
        Assert.Same(announce, announcements.ExpectMsg<CommitterProtocol.RecordsCommitted>(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, WalCommits(memory.DatabasePath) - commitsBefore);
        Assert.Equal([commit], Tools.Sqlite(memory.DatabasePath, $"SELECT commit_id FROM elf_outbox WHERE id = {outboxId}").Select(r => r[0]));
    }
}
