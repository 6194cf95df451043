namespace ElfActors.Core.Records;

/// <summary>A failure as an agent or a script supplied it: raw, unvalidated text.</summary>
public sealed record FailureInput(
    string? Title,
    string? Domain,
    string? Severity = null,
    string? Tags = null,
    string? Summary = null);

/// <summary>A failure that passed validation: every field sanitised and within ELF's limits.</summary>
public sealed record ValidatedFailure(
    string Title,
    string Domain,
    int Severity,
    string Tags,
    string Summary)
{
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
