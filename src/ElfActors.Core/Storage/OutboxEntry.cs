namespace ElfActors.Core.Storage;

/// <summary>A record waiting for (or already given) a git commit, as the outbox keeps it.</summary>
public sealed record OutboxEntry(
    long RecordId,
    string Kind,
    string RelativePath,
    string Content,
    string Subject,
    string Detail,
    DateTimeOffset EnqueuedAt);

/// <summary>What the index answered for one record in a batch.</summary>
public abstract record InsertOutcome
{
    private InsertOutcome() { }

    /// <summary>A new record: its ELF row id and the file it must be placed at.</summary>
    public sealed record Inserted(long RecordId, string RelativePath) : InsertOutcome;

    /// <summary>The request id was seen before: the first record, with the content its file must have.</summary>
    public sealed record Duplicate(long RecordId, string RelativePath, string Content) : InsertOutcome;

    public sealed record Failed(string Reason) : InsertOutcome;
}

/// <summary>A failure ready to be stored: validated, rendered, and given a request id.</summary>
public sealed record FailureInsert(
    string RequestId,
    Records.ValidatedFailure Failure,
    string Content,
    string FileStem);

/// <summary>A row of ELF's learnings table.</summary>
public sealed record LearningRow(
    long Id, string Type, string FilePath, string Title, string? Summary, string? Tags, string? Domain, int Severity, string? CreatedAt);
