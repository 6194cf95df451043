namespace ElfActors.Core.Records;

/// <summary>A learning (a failure by default) as an agent or a script supplied it: raw, unvalidated text.</summary>
public sealed record LearningInput(
    string? Title,
    string? Domain,
    string? Severity = null,
    string? Tags = null,
    string? Summary = null) : IRecordInput
{
    public RecordKind Kind => Kinds.LearningKind.Instance;

    /// <summary>ELF's learnings type: failure (record-failure), or success, observation, experiment (<c>elf record --type</c>).</summary>
    public string? Type { get; init; }

    /// <summary>
    /// What the learnings row keeps as its summary when it is not the summary's first line: ELF's record-failure.sh
    /// stores <c>echo -e</c> of the first line of a sanitised copy while its file keeps the summary as given (the shim
    /// passes ELF's value). Null: the summary's first line.
    /// </summary>
    public string? RowSummary { get; init; }
}

/// <summary>A learning that passed validation: every field sanitised and within ELF's limits.</summary>
public sealed record ValidatedLearning(
    string Title,
    string Domain,
    int Severity,
    string Tags,
    string Summary)
{
    /// <summary>The learnings type (<see cref="LearningTypes"/>); the file goes to that type's folder.</summary>
    public string Type { get; init; } = LearningTypes.Failure;

    /// <summary>The row's own summary where the caller gave one (<see cref="LearningInput.RowSummary"/>), one line.</summary>
    public string? GivenRowSummary { get; init; }

    /// <summary>What the learnings row stores as its summary: the caller's row summary, else the summary's first line.</summary>
    public string RowSummary => GivenRowSummary ?? SummaryFirstLine;

    /// <summary>ELF's learnings row keeps only the summary's first line; the file keeps all of it.</summary>
    public string SummaryFirstLine
    {
        get
        {
            var newline = Summary.IndexOf('\n');
            return newline < 0 ? Summary : Summary[..newline].TrimEnd();
        }
    }
}

/// <summary>One reason an input was refused, naming the field so a caller can fix it.</summary>
public sealed record ValidationError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>The learnings types ElfActors records as files of their own (ELF's CHECK also allows 'heuristic', which lives in its own table).</summary>
public static class LearningTypes
{
    public const string Failure = "failure";
    public const string Success = "success";
    public const string Observation = "observation";
    public const string Experiment = "experiment";

    public static readonly IReadOnlyList<string> All = [Failure, Success, Observation, Experiment];

    /// <summary>The folder of a type's files: memory/failures/, memory/successes/, memory/observations/, memory/experiments/.</summary>
    public static string Folder(string type) => type switch
    {
        Success => "memory/successes/",
        _ => "memory/" + type + "s/",
    };
}
