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
    /// Answered with <see cref="MarkedCommitted"/>. <paramref name="IndexIdentity"/> is the identity of the index the
    /// outbox ids were read from: marks made against an index since rebuilt name ids that now belong to other rows, and
    /// are dropped (docs/adr/0044).
    /// <paramref name="Announce"/>, when given, is published on the event stream by the index writer itself right after the
    /// marks are stored (not when they are dropped as stale), with <paramref name="CommittedTimestamp"/> (a
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp taken at the commit) timing the <c>mark</c> stage: the
    /// committer, busy with its next batch by then, is not in the way of the announcement (docs/adr/0054).
    /// </summary>
    public sealed record MarkCommitted(IReadOnlyList<long> OutboxIds, string CommitId, DateTimeOffset At, string IndexIdentity,
        CommitterProtocol.RecordsCommitted? Announce = null, long CommittedTimestamp = 0);

    /// <summary>
    /// <paramref name="Error"/> is null when the marks are stored (and the commit announced, if it was to be).
    /// <paramref name="Stale"/>: not stored, the index they were made against has been rebuilt since (the committer has
    /// dropped them already, and announced the commit itself).
    /// </summary>
    public sealed record MarkedCommitted(IReadOnlyList<long> OutboxIds, string? Error, bool Stale = false);

    /// <summary>
    /// From the committer, at its start and whenever it finds memory/index.db not the file it opened: the writer, the one
    /// owner of the index's identity, checks the file (puts it back, IndexFileGuard, or rebuilds one overwritten in place)
    /// and answers <see cref="IndexInPlace"/> once the index at the path is one it writes to.
    /// </summary>
    public sealed record CheckIndexFile
    {
        public static readonly CheckIndexFile Instance = new();
    }

    /// <summary>The identity of the index at memory/index.db now; one the committer has not open is a rebuilt index: it reopens and drops its id-based state.</summary>
    public sealed record IndexInPlace(string Identity);

    /// <summary>The writer's own tick while it waits to rebuild an overwritten index.</summary>
    internal sealed record RebuildTick
    {
        public static readonly RebuildTick Instance = new();
    }

    /// <summary>The writer's own: checkpoint the WAL now, behind everything queued (docs/adr/0065).</summary>
    internal sealed record CheckpointIndex
    {
        public static readonly CheckpointIndex Instance = new();
    }

    internal sealed record FlushInserts
    {
        public static readonly FlushInserts Instance = new();
    }
}
