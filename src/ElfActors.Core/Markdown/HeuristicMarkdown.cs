using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ElfActors.Core.Records;

namespace ElfActors.Core.Markdown;

/// <summary>
/// ELF's heuristics layout: one file per domain, <c>memory/heuristics/&lt;domain&gt;.md</c>, a header when the file
/// is new, then one entry per heuristic appended at the end.
/// </summary>
public static partial class HeuristicMarkdown
{
    public const string Folder = "memory/heuristics/";

    public static string RelativePath(string domain) => Folder + domain + ".md";

    /// <summary>What ELF wrote when it created a domain file.</summary>
    public static string FileHeader(string domain) =>
        $"# Heuristics: {domain}\n\nGenerated from failures, successes, and observations in the **{domain}** domain.\n\n---\n\n";

    /// <summary>One entry, as ELF appended it: heading with the row id, confidence, source, date, explanation, rule.</summary>
    public static string Entry(long id, ValidatedHeuristic heuristic, DateOnly created)
    {
        var builder = new StringBuilder(256 + heuristic.Explanation.Length);
        builder.Append("## H-").Append(id.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(heuristic.Rule).Append("\n\n");
        builder.Append("**Confidence**: ").Append(heuristic.ConfidenceText).Append('\n');
        builder.Append("**Source**: ").Append(heuristic.Source).Append('\n');
        builder.Append("**Created**: ").Append(created.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append("\n\n");
        builder.Append(heuristic.Explanation).Append("\n\n");
        builder.Append("---\n\n");
        return builder.ToString();
    }

    /// <summary>The file's new content: the existing text (or ELF's header) followed by the entries.</summary>
    public static string Append(string? existing, string domain, IEnumerable<string> entries)
    {
        var builder = new StringBuilder(existing ?? FileHeader(domain));
        if (builder.Length > 0 && builder[^1] != '\n') builder.Append('\n');
        foreach (var entry in entries) builder.Append(entry);
        return builder.ToString();
    }

    /// <summary>A heuristic read back from a domain file (for reindex and import).</summary>
    public sealed record ParsedEntry(long Id, string Rule, double Confidence, string Source, DateOnly? Created, string Explanation, string Text);

    [GeneratedRegex(@"^## H-(\d+): (.*)$", RegexOptions.Multiline)]
    private static partial Regex EntryHeading();

    /// <summary>Every entry in a domain file, in file order. Fields ELF left out come back with ELF's defaults.</summary>
    public static IReadOnlyList<ParsedEntry> Parse(string content)
    {
        content = content.Replace("\r\n", "\n");
        var headings = EntryHeading().Matches(content);
        var entries = new List<ParsedEntry>(headings.Count);
        for (var i = 0; i < headings.Count; i++)
        {
            var start = headings[i].Index;
            var end = i + 1 < headings.Count ? headings[i + 1].Index : content.Length;
            var text = content[start..end];
            var body = text[(headings[i].Length)..];
            var confidence = HeuristicValidator.DefaultConfidence;
            var source = HeuristicValidator.DefaultSource;
            DateOnly? created = null;
            var lines = body.Split('\n').ToList();
            var explanationStart = 0;
            for (var l = 0; l < lines.Count; l++)
            {
                var line = lines[l];
                if (line.StartsWith("**Confidence**: ", StringComparison.Ordinal))
                    HeuristicValidator.TryParseConfidence(line["**Confidence**: ".Length..], out confidence, out _);
                else if (line.StartsWith("**Source**: ", StringComparison.Ordinal)) source = line["**Source**: ".Length..].Trim();
                else if (line.StartsWith("**Created**: ", StringComparison.Ordinal))
                {
                    var date = line["**Created**: ".Length..].Trim();
                    if (date.Length >= 10 && DateOnly.TryParseExact(date[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) created = d;
                    explanationStart = l + 1;
                    break;
                }
            }
            var rest = string.Join('\n', lines.Skip(explanationStart));
            var rule = rest.LastIndexOf("\n---", StringComparison.Ordinal);
            var explanation = (rule >= 0 ? rest[..rule] : rest).Trim();
            if (explanation == "---") explanation = string.Empty;
            entries.Add(new ParsedEntry(long.Parse(headings[i].Groups[1].Value, CultureInfo.InvariantCulture),
                headings[i].Groups[2].Value.Trim(), confidence, source, created, explanation, text));
        }
        return entries;
    }
}
