using System.Globalization;
using ElfActors.Core.Markdown;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Records.Kinds;

/// <summary>ELF's architecture decisions: a decisions row and <c>memory/decisions/YYYY-MM-DD-&lt;slug&gt;.md</c>, headed with the row's id.</summary>
public sealed class DecisionKind : RecordKind<DecisionInput, ValidatedDecision>
{
    public static readonly DecisionKind Instance = new();

    private DecisionKind() : base(OutboxKinds.Decision, OutboxTables.Decisions, appends: false, DecisionValidator.Validate, (decision, date) => new DecisionDraft(decision, date)) { }
}

/// <summary>A decision ready to store; its file is rendered once its id is known (<c># ADR-&lt;id&gt;: …</c>).</summary>
public sealed class DecisionDraft : RecordDraft
{
    private readonly DateOnly _date;
    private readonly string? _status;
    private readonly Func<long, string>? _render;

    /// <param name="stem">An imported file's own name; by default ELF's <c>YYYY-MM-DD-slug</c>.</param>
    /// <param name="status">An imported row's status; by default the table's.</param>
    /// <param name="render">An imported file's text for the new id; by default ELF's ADR layout.</param>
    public DecisionDraft(ValidatedDecision decision, DateOnly date, string? stem = null, string? status = null, Func<long, string>? render = null)
    {
        Decision = decision;
        _date = date;
        _status = status;
        _render = render;
        File = new RecordFile.Own(DecisionMarkdown.Folder, stem ?? DecisionMarkdown.FileStem(decision, date));
    }

    public ValidatedDecision Decision { get; }

    public override RecordKind Kind => DecisionKind.Instance;

    public override RecordFile File { get; }

    public override IReadOnlyList<(string Column, object? Value)> Row(string relativePath)
    {
        List<(string, object?)> row =
        [
            ("title", Decision.Title), ("context", Decision.Context), ("options_considered", Decision.Options), ("decision", Decision.Decision),
            ("rationale", Decision.Rationale), ("domain", Decision.Domain), ("files_touched", Decision.Files), ("tests_added", Decision.Tests),
        ];
        if (_status is not null) row.Add(("status", _status));
        return row;
    }

    public override string Render(long rowId) => _render?.Invoke(rowId) ?? DecisionMarkdown.Render(rowId, Decision, _date);

    public override string Subject => "decision: " + Decision.Title;

    public override string Detail(long rowId) => $"Domain: {Decision.Domain} | ADR-{rowId.ToString(CultureInfo.InvariantCulture)}";
}
