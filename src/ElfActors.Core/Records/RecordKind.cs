namespace ElfActors.Core.Records;

/// <summary>
/// One kind of record ElfActors writes (a learning, a heuristic, a decision …): its rules, its file, its ELF row.
/// The recorders, the index, import and reindex know records only through this and <see cref="RecordDraft"/>, so
/// a new kind is one file (its input, its kind, its draft) plus its tests: docs/record-kinds.md.
/// </summary>
public abstract class RecordKind
{
    /// <summary>What the kind is called in messages and in the outbox (a learning's draft says its type instead).</summary>
    public abstract string Name { get; }

    /// <summary>ELF's table its rows go to.</summary>
    public abstract string RowTable { get; }

    /// <summary>
    /// True where records are entries appended to a file they share (heuristics, one file a domain), which one
    /// writer per file appends to; false where every record has a file of its own.
    /// </summary>
    public virtual bool Appends => false;

    /// <summary>Applies the kind's rules: the errors (nothing is written then), or the record ready to store.</summary>
    public abstract IReadOnlyList<ValidationError> Validate(IRecordInput input, DateOnly created, out RecordDraft? draft);
}

/// <summary>A kind whose caller's input is <typeparamref name="TInput"/>.</summary>
public abstract class RecordKind<TInput> : RecordKind where TInput : IRecordInput
{
    public sealed override IReadOnlyList<ValidationError> Validate(IRecordInput input, DateOnly created, out RecordDraft? draft) =>
        input is TInput typed ? Validate(typed, created, out draft) : throw new ArgumentException($"not a {Name}'s input: {input.GetType().Name}", nameof(input));

    protected abstract IReadOnlyList<ValidationError> Validate(TInput input, DateOnly created, out RecordDraft? draft);
}

/// <summary>A validator in the form of ELF's rules: the errors, and the valid record when there are none.</summary>
public delegate IReadOnlyList<ValidationError> Validator<in TInput, TValue>(TInput input, out TValue? value) where TValue : class;

/// <summary>A kind stated as data: its name, its table, whether it appends, its rules and the draft of a valid record.</summary>
public abstract class RecordKind<TInput, TValue>(string name, string rowTable, bool appends, Validator<TInput, TValue> rules, Func<TValue, DateOnly, RecordDraft> draft)
    : RecordKind<TInput> where TInput : IRecordInput where TValue : class
{
    public sealed override string Name => name;

    public sealed override string RowTable => rowTable;

    public sealed override bool Appends => appends;

    protected sealed override IReadOnlyList<ValidationError> Validate(TInput input, DateOnly created, out RecordDraft? result)
    {
        var errors = rules(input, out var value);
        result = value is null ? null : draft(value, created);
        return errors;
    }
}

/// <summary>A record as a caller supplied it (raw, unvalidated text), naming the kind that validates it.</summary>
public interface IRecordInput
{
    RecordKind Kind { get; }
}

/// <summary>Where a record's text goes.</summary>
public abstract record RecordFile
{
    private RecordFile() { }

    /// <summary>A file of its own, at the first free name of <c>Folder + Stem</c>, then <c>-2</c>, <c>-3</c> … (docs/adr/0010).</summary>
    public sealed record Own(string Folder, string Stem) : RecordFile;

    /// <summary>An entry appended to a file many records share; <paramref name="Header"/> starts the file when it is new.</summary>
    public sealed record Shared(string RelativePath, string Header) : RecordFile;
}

/// <summary>
/// A record that passed its kind's rules (or was read back by import or reindex): everything the index stores for it
/// (ELF's row, the outbox entry with its file's text and its commit's subject) and the file its recorder places.
/// </summary>
public abstract class RecordDraft
{
    public abstract RecordKind Kind { get; }

    /// <summary>The outbox's kind column; the kind's name unless the kind says otherwise.</summary>
    public virtual string OutboxKind => Kind.Name;

    public abstract RecordFile File { get; }

    /// <summary>
    /// ELF's row, column by column, for the file at <paramref name="relativePath"/> (the name is reserved in the same
    /// transaction). The same columns for every draft of a kind: the index prepares one statement a kind and batch.
    /// </summary>
    public abstract IReadOnlyList<(string Column, object? Value)> Row(string relativePath);

    /// <summary>The file's text (or, for an appending kind, the entry), once the row's id is known.</summary>
    public abstract string Render(long rowId);

    /// <summary>What the commit's subject line says of it: <c>&lt;kind&gt;: &lt;title&gt;</c>.</summary>
    public abstract string Subject { get; }

    /// <summary>The commit body's line about it.</summary>
    public abstract string Detail(long rowId);

    /// <summary>Reindex: the row id the files or git history give it; null for a new id.</summary>
    public long? RowId { get; init; }

    /// <summary>Import and reindex: ELF's timestamps of the source row; null for now.</summary>
    public string? CreatedAt { get; init; }

    public string? UpdatedAt { get; init; }
}
