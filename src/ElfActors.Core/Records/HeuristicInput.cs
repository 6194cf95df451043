namespace ElfActors.Core.Records;

/// <summary>A heuristic as an agent or a script supplied it (ELF's record-heuristic flags): raw, unvalidated text.</summary>
public sealed record HeuristicInput(
    string? Domain,
    string? Rule,
    string? Explanation = null,
    string? Source = null,
    string? Confidence = null) : IRecordInput
{
    public RecordKind Kind => Kinds.HeuristicKind.Instance;
}

/// <summary>
/// A heuristic that passed validation. <see cref="Domain"/> is ELF's file-safe form of the domain (lower case,
/// [a-z0-9-]), which ELF stored in the row and used as the file name <c>memory/heuristics/&lt;domain&gt;.md</c>.
/// </summary>
public sealed record ValidatedHeuristic(
    string Domain,
    string Rule,
    string Explanation,
    string Source,
    double Confidence)
{
    /// <summary>The confidence as ELF wrote it in files and commit messages (0.5, 0.85, 1.0).</summary>
    public string ConfidenceText => HeuristicValidator.FormatConfidence(Confidence);
}
