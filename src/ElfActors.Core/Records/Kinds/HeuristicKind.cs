using ElfActors.Core.Markdown;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Records.Kinds;

/// <summary>
/// ELF's heuristics: a heuristics row and an entry appended to its domain's file, <c>memory/heuristics/&lt;domain&gt;.md</c>
/// (an appending kind: one writer a file).
/// </summary>
public sealed class HeuristicKind : RecordKind<HeuristicInput, ValidatedHeuristic>
{
    public static readonly HeuristicKind Instance = new();

    private HeuristicKind() : base(OutboxKinds.Heuristic, OutboxTables.Heuristics, appends: true, HeuristicValidator.Validate, (heuristic, date) => new HeuristicDraft(heuristic, date)) { }
}

/// <summary>A heuristic ready to store; its entry is rendered once its id is known (<c>## H-&lt;id&gt;: …</c>).</summary>
public sealed class HeuristicDraft : RecordDraft
{
    private readonly DateOnly _created;
    private readonly IReadOnlyList<(string Column, object? Value)> _counters;

    /// <param name="counters">An imported row's columns beyond the flags' (source id, ELF's counters, golden).</param>
    public HeuristicDraft(ValidatedHeuristic heuristic, DateOnly created, IReadOnlyList<(string Column, object? Value)>? counters = null)
    {
        Heuristic = heuristic;
        _created = created;
        _counters = counters ?? [];
        File = new RecordFile.Shared(HeuristicMarkdown.RelativePath(heuristic.Domain), HeuristicMarkdown.FileHeader(heuristic.Domain));
    }

    public ValidatedHeuristic Heuristic { get; }

    public override RecordKind Kind => HeuristicKind.Instance;

    public override RecordFile File { get; }

    public override IReadOnlyList<(string Column, object? Value)> Row(string relativePath) =>
    [
        ("domain", Heuristic.Domain), ("rule", Heuristic.Rule), ("explanation", Heuristic.Explanation), ("source_type", Heuristic.Source),
        ("confidence", Heuristic.Confidence), .. _counters,
    ];

    public override string Render(long rowId) => HeuristicMarkdown.Entry(rowId, Heuristic, _created);

    public override string Subject => "heuristic: " + Heuristic.Rule;

    public override string Detail(long rowId) => $"Domain: {Heuristic.Domain} | Confidence: {Heuristic.ConfidenceText}";
}
