using ElfActors.Core.Storage;

namespace ElfActors.Actors;

public static class IndexWriterProtocol
{
    public sealed record InsertFailure(FailureInsert Insert);

    public sealed record InsertReply(InsertOutcome Outcome);

    /// <summary>Undo a record whose file could not be placed: its row and outbox entry go together.</summary>
    public sealed record DeleteRecord(long RecordId);

    public sealed record DeleteReply(string? Error);

    internal sealed record FlushInserts
    {
        public static readonly FlushInserts Instance = new();
    }
}
