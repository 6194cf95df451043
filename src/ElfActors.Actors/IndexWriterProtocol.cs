using ElfActors.Core.Storage;

namespace ElfActors.Actors;

public static class IndexWriterProtocol
{
    /// <summary>Store one record; records that arrive together are stored in one transaction. Answered with <see cref="InsertReply"/>.</summary>
    public sealed record InsertRecord(RecordInsert Insert);

    public sealed record InsertReply(InsertOutcome Outcome);

    public sealed record DeleteReply(string? Error);

    /// <summary>Store a batch (an appending recorder's) in one transaction; answered with one outcome per insert, in order.</summary>
    public sealed record InsertRecords(IReadOnlyList<RecordInsert> Inserts, int Tag = 0);

    /// <summary><paramref name="Tag"/> echoes the request's, so a late answer is not taken for a later batch's.</summary>
    public sealed record InsertRecordsReply(IReadOnlyList<InsertOutcome> Outcomes, int Tag = 0);

    /// <summary>Undo records of an ELF table whose file could not be written, rows and outbox entries together; answered with <see cref="DeleteReply"/>.</summary>
    public sealed record DeleteRecords(string RowTable, IReadOnlyList<long> RowIds);

    /// <summary>
    /// From the committer: these outbox entries are in <paramref name="CommitId"/>. The index writer is the only
    /// writer of the index: a committer writing too waited on its lock behind back-to-back insert transactions
    /// (SQLite's busy handler sleeps, the writer never does), and stalled every commit during a burst.
    /// Answered with <see cref="MarkedCommitted"/>.
    /// </summary>
    public sealed record MarkCommitted(IReadOnlyList<long> OutboxIds, string CommitId, DateTimeOffset At);

    /// <summary><paramref name="Error"/> is null when the marks are stored.</summary>
    public sealed record MarkedCommitted(IReadOnlyList<long> OutboxIds, string? Error);

    /// <summary>From the committer: memory/index.db is not the file the host opened; the writer puts it back (IndexFileGuard).</summary>
    public sealed record CheckIndexFile
    {
        public static readonly CheckIndexFile Instance = new();
    }

    internal sealed record FlushInserts
    {
        public static readonly FlushInserts Instance = new();
    }
}
