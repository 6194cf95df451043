namespace ElfActors.Actors;

public static class CommitterProtocol
{
    /// <summary>A doorbell: new records are in the outbox. The outbox, not this message, is the queue.</summary>
    public sealed record RecordsWaiting
    {
        public static readonly RecordsWaiting Instance = new();
    }

    /// <summary>
    /// A doorbell from a recorder that has placed a record's own file: its file is whole, so the committer need not
    /// read it to know (a shortcut for learnings; without it the file's content decides).
    /// </summary>
    public sealed record RecordPlaced(string RowTable, long RecordId);

    /// <summary>Replies <see cref="AllCommitted"/> once no record in the outbox waits for a commit.</summary>
    public sealed record AwaitAllCommitted
    {
        public static readonly AwaitAllCommitted Instance = new();
    }

    public sealed record AllCommitted(long CommittedRecords);

    /// <summary>Published on the event stream after every commit, once the index marks its records committed.</summary>
    public sealed record RecordsCommitted(IReadOnlyList<long> RecordIds, string CommitId, DateTimeOffset At);

    internal sealed record Start
    {
        public static readonly Start Instance = new();
    }

    internal sealed record RunBatch
    {
        public static readonly RunBatch Instance = new();
    }

    internal sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    /// <summary>The watch of the repository stopped working (or never started): an idle committer looks now and then instead.</summary>
    internal sealed record WatchFailed(string Reason);

    internal sealed record RetryAfterLock
    {
        public static readonly RetryAfterLock Instance = new();
    }
}
