namespace ElfActors.Core.Storage;

/// <summary>A record waiting for (or already given) a git commit, as the outbox keeps it.</summary>
public sealed record OutboxEntry(
    long RecordId,
    string Kind,
    string RelativePath,
    string Content,
    string Subject,
    string Detail,
    DateTimeOffset EnqueuedAt,
    string RowTable = OutboxTables.Learnings,
    long OutboxId = 0,
    string? RecordKey = null)
{
    /// <summary>
    /// What the commit's <c>Elf-Record</c> trailer names: the record key (docs/adr/0017); for a row stored before
    /// record keys existed, as then, the learnings id alone, <c>H-&lt;id&gt;</c> for a heuristic, <c>ADR-&lt;id&gt;</c> for a decision.
    /// </summary>
    public string TrailerKey => RecordKey ?? OutboxTables.TrailerKey(RowTable, RecordId);

    /// <summary>Heuristics share their domain's file: the entry is ready once its text is in the file, not when the file exists.</summary>
    public bool SharesFile => Kind == OutboxKinds.Heuristic;
}

/// <summary>ELF tables whose rows the outbox queues for a commit.</summary>
public static class OutboxTables
{
    public const string Learnings = "learnings";
    public const string Heuristics = "heuristics";
    public const string Decisions = "decisions";

    public static string TrailerKey(string rowTable, long rowId) => rowTable switch
    {
        Heuristics => "H-" + rowId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Decisions => "ADR-" + rowId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => rowId.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

public static class OutboxKinds
{
    public const string Heuristic = "heuristic";
    public const string Decision = "decision";
}

/// <summary>What the index answered for one record in a batch.</summary>
public abstract record InsertOutcome
{
    private InsertOutcome() { }

    /// <summary>A new record: its ELF row id, the file it must be placed at, and its text (or, appending, its entry).</summary>
    public sealed record Inserted(long RecordId, string RelativePath, string Content) : InsertOutcome;

    /// <summary>The request id was seen before: the first record, with the content its file must have.</summary>
    public sealed record Duplicate(long RecordId, string RelativePath, string Content) : InsertOutcome;

    public sealed record Failed(string Reason) : InsertOutcome;
}

/// <summary>A record of any kind ready to be stored, with the request id that makes a retry return it.</summary>
public sealed record RecordInsert(string RequestId, Records.RecordDraft Draft);

/// <summary>A row of ELF's learnings table.</summary>
public sealed record LearningRow(
    long Id, string Type, string FilePath, string Title, string? Summary, string? Tags, string? Domain, int Severity, string? CreatedAt);
