using ElfActors.Core.Storage;

namespace ElfActors.Actors;

public static class IndexWriterProtocol
{
    public sealed record InsertFailure(FailureInsert Insert);

    public sealed record InsertReply(InsertOutcome Outcome);

    /// <summary>Undo a record whose file could not be placed: its row and outbox entry go together.</summary>
    public sealed record DeleteRecord(long RecordId);

    public sealed record DeleteReply(string? Error);

    /// <summary>Store heuristics (a domain actor's batch) in one transaction; answered with one outcome per insert, in order.</summary>
    public sealed record InsertHeuristics(IReadOnlyList<HeuristicInsert> Inserts, int Tag = 0);

    /// <summary><paramref name="Tag"/> echoes the request's, so a late answer is not taken for a later batch's.</summary>
    public sealed record InsertHeuristicsReply(IReadOnlyList<InsertOutcome> Outcomes, int Tag = 0);

    /// <summary>Store one decision; answered with <see cref="InsertReply"/>.</summary>
    public sealed record InsertDecision(DecisionInsert Insert);

    /// <summary>Undo records of any ELF table whose file could not be written; answered with <see cref="DeleteReply"/>.</summary>
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
