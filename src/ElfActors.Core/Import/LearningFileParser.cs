using System.Globalization;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;

namespace ElfActors.Core.Import;

/// <summary>Reads a learnings file (ELF's failure layout, or ElfActors' layout of the other types) back into its fields.</summary>
public static class LearningFileParser
{
    public sealed record ParsedLearning(ValidatedLearning Learning, DateOnly? Date);

    /// <summary>The record's fields, or null when the text has no <c># title</c> heading.</summary>
    public static ParsedLearning? Parse(string content, string folderType)
    {
        content = content.Replace("\r\n", "\n");
        var heading = content.Split('\n').FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal));
        if (heading is null) return null;
        var title = heading[2..].Trim();
        var type = MarkdownSections.Field(content, "Type") is { Length: > 0 } t && LearningTypes.All.Contains(t) ? t : folderType;
        var severity = Severity.TryParse(MarkdownSections.Field(content, "Severity"), out var s, out _) ? s : Severity.Default;
        var sections = MarkdownSections.Split(content);
        var summary = sections.TryGetValue("Summary", out var text) && text.Length > 0 ? text : LearningValidator.DefaultSummary;
        DateOnly? date = DateOnly.TryParseExact(FirstWord(MarkdownSections.Field(content, "Date")), "yyyy-MM-dd", CultureInfo.InvariantCulture,
            DateTimeStyles.None, out var d) ? d : null;
        var learning = new ValidatedLearning(title, MarkdownSections.Field(content, "Domain") ?? string.Empty, severity,
            MarkdownSections.Field(content, "Tags") ?? string.Empty, summary) { Type = type };
        return new ParsedLearning(learning, date);
    }

    /// <summary>The date of a Date line, without what ELF's record-failure.sh writes after it (a shell comment).</summary>
    private static string FirstWord(string? field) => (field ?? string.Empty).Split(' ', 2)[0];
}
