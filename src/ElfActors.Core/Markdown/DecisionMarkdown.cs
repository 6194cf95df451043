using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ElfActors.Core.Records;

namespace ElfActors.Core.Markdown;

/// <summary>ELF's ADR layout: <c>memory/decisions/YYYY-MM-DD-&lt;slug&gt;.md</c>, headed <c># ADR-&lt;id&gt;: &lt;title&gt;</c>.</summary>
public static partial class DecisionMarkdown
{
    public const string Folder = "memory/decisions/";
    public const int SlugLength = 50;

    /// <summary>ELF's file name without the uniqueness suffix: <c>YYYY-MM-DD-slug</c> (slug cut at 50 characters).</summary>
    public static string FileStem(ValidatedDecision decision, DateOnly date)
    {
        var slug = Text.Slug.From(decision.Title);
        if (slug.Length > SlugLength) slug = slug[..SlugLength];
        if (slug.Trim('-').Length == 0) slug = "decision";
        return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "-" + slug;
    }

    public static string Render(long id, ValidatedDecision decision, DateOnly date)
    {
        var day = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var adr = "ADR-" + id.ToString(CultureInfo.InvariantCulture);
        var builder = new StringBuilder(1024);
        builder.Append("# ").Append(adr).Append(": ").Append(decision.Title).Append("\n\n");
        builder.Append("**Date**: ").Append(day).Append('\n');
        builder.Append("**Domain**: ").Append(decision.Domain).Append('\n');
        builder.Append("**Status**: Accepted\n\n---\n\n");
        builder.Append("## Context\n\n").Append(decision.Context).Append("\n\n");
        if (decision.Options.Length > 0) builder.Append("## Options Considered\n\n").Append(decision.Options).Append("\n\n");
        builder.Append("## Decision\n\n").Append(decision.Decision).Append("\n\n");
        builder.Append("## Rationale\n\n").Append(decision.Rationale).Append("\n\n");
        List("Files Touched", decision.Files);
        List("Tests Added", decision.Tests);
        builder.Append("## Consequences\n\n");
        builder.Append("- This decision establishes a pattern for future similar situations\n");
        builder.Append("- Related architectural decisions should reference this ADR\n");
        builder.Append("- If context changes, this decision should be revisited\n\n");
        builder.Append("---\n\n");
        builder.Append("**ID**: ").Append(adr).Append('\n');
        builder.Append("**Created**: ").Append(day).Append('\n');
        return builder.ToString();

        void List(string heading, string commaSeparated)
        {
            if (commaSeparated.Length == 0) return;
            builder.Append("## ").Append(heading).Append("\n\n");
            foreach (var item in commaSeparated.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                builder.Append("- ").Append(item).Append('\n');
            builder.Append('\n');
        }
    }

    /// <summary>A decision read back from its file (for reindex and import).</summary>
    public sealed record ParsedDecision(long Id, DateOnly? Date, ValidatedDecision Decision);

    [GeneratedRegex(@"^# ADR-(\d+): (.*)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    public static ParsedDecision? Parse(string content)
    {
        content = content.Replace("\r\n", "\n");
        var heading = Heading().Match(content);
        if (!heading.Success) return null;
        var sections = MarkdownSections.Split(content);
        string Field(string name) => MarkdownSections.Field(content, name) ?? string.Empty;
        string Section(string name) => sections.TryGetValue(name, out var text) ? text : string.Empty;
        string ListOf(string name) => string.Join(',', Section(name).Split('\n')
            .Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..].Trim()));
        DateOnly? date = DateOnly.TryParseExact(Field("Date"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        var decision = new ValidatedDecision(heading.Groups[2].Value.Trim(), Section("Context"), Section("Decision"), Section("Rationale"),
            Section("Options Considered"), Field("Domain") is { Length: > 0 } domain ? domain : DecisionValidator.DefaultDomain,
            ListOf("Files Touched"), ListOf("Tests Added"));
        return new ParsedDecision(long.Parse(heading.Groups[1].Value, CultureInfo.InvariantCulture), date, decision);
    }
}
