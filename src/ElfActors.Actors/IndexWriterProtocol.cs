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

    internal sealed record FlushInserts
    {
        public static readonly FlushInserts Instance = new();
    }
}
