using System.Globalization;
using ElfActors.Core.Markdown;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Records.Kinds;

/// <summary>
/// ELF's learnings (failure, success, observation, experiment): a learnings row and a file of its own,
/// <c>memory/&lt;type&gt;s/YYYYMMDD_&lt;slug&gt;.md</c>.
/// </summary>
public sealed class LearningKind : RecordKind<LearningInput, ValidatedLearning>
{
    public static readonly LearningKind Instance = new();

    private LearningKind() : base("learning", OutboxTables.Learnings, appends: false, LearningValidator.Validate, (learning, date) => new LearningDraft(learning, date)) { }
}

/// <summary>A learning ready to store. Rendered at once (its file does not name its id), off the index writer's thread.</summary>
public sealed class LearningDraft : RecordDraft
{
    private readonly string _content;
    private readonly string? _summaryInRow;

    /// <param name="stem">An imported file's own name; by default ELF's <c>YYYYMMDD_slug</c>.</param>
    /// <param name="content">An imported file's text; by default ELF's layout for the type.</param>
    /// <param name="summaryInRow">An imported row's summary; by default the summary's first line, as ELF stored it.</param>
    public LearningDraft(ValidatedLearning learning, DateOnly date, string? stem = null, string? content = null, string? summaryInRow = null)
    {
        Learning = learning;
        _content = content ?? FailureMarkdown.Render(learning, date);
        _summaryInRow = summaryInRow;
        File = new RecordFile.Own(LearningTypes.Folder(learning.Type), stem ?? FailureMarkdown.FileStem(learning, date));
    }

    public ValidatedLearning Learning { get; }

    public override RecordKind Kind => LearningKind.Instance;

    public override string OutboxKind => Learning.Type;

    public override RecordFile File { get; }

    public override IReadOnlyList<(string Column, object? Value)> Row(string relativePath) =>
    [
        ("type", Learning.Type), ("filepath", relativePath), ("title", Learning.Title), ("summary", _summaryInRow ?? Learning.RowSummary),
        ("tags", Learning.Tags), ("domain", Learning.Domain), ("severity", Learning.Severity),
    ];

    public override string Render(long rowId) => _content;

    public override string Subject => Learning.Type + ": " + Learning.Title;

    public override string Detail(long rowId) => $"Domain: {Learning.Domain} | Severity: {Learning.Severity.ToString(CultureInfo.InvariantCulture)}";
}
