using ElfActors.Core.Records;

namespace ElfActors.Core.Import;

/// <summary>A learnings record read from a memory (its file, its database row, or both), ready to be stored.</summary>
public sealed record LearningRecord(
    string RelativePath,
    ValidatedLearning Learning,
    string? SummaryInRow,
    string Content,
    string? CreatedAt,
    string? UpdatedAt);

/// <summary>A heuristic read from a memory, with ELF's counters when its database row was there.</summary>
/// <param name="EntryText">The entry's exact text in its domain file, where it was read from one (reindex keys it by that, docs/adr/0045).</param>
public sealed record HeuristicRecord(
    long? Id,
    ValidatedHeuristic Heuristic,
    long? SourceId = null,
    long TimesValidated = 0,
    long TimesViolated = 0,
    long IsGolden = 0,
    string? CreatedAt = null,
    string? UpdatedAt = null,
    string? EntryText = null);

/// <summary>A decision read from a memory.</summary>
public sealed record DecisionRecord(
    long? Id,
    string? RelativePath,
    ValidatedDecision Decision,
    string? Content,
    string Status = "accepted",
    string? CreatedAt = null,
    string? UpdatedAt = null);

/// <summary>Everything a memory holds that ElfActors writes: what import copies and reindex rebuilds from.</summary>
public sealed record MemoryContents(
    IReadOnlyList<LearningRecord> Learnings,
    IReadOnlyList<HeuristicRecord> Heuristics,
    IReadOnlyList<DecisionRecord> Decisions,
    IReadOnlyList<string> Skipped)
{
    public int Count => Learnings.Count + Heuristics.Count + Decisions.Count;
}
