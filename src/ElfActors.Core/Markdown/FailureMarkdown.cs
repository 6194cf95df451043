using System.Globalization;
using System.Text;
using ElfActors.Core.Records;

namespace ElfActors.Core.Markdown;

/// <summary>Renders a failure in ELF's file layout so ELF's readers and agents find what they expect.</summary>
public static class FailureMarkdown
{
    public static string Render(ValidatedLearning failure, DateOnly date)
    {
        if (failure.Type != LearningTypes.Failure) return LearningMarkdown.Render(failure, date);
        // One builder per thread, kept between records: its buffer was as much garbage per record as the file's text (docs/adr/0071).
        var builder = t_builder ?? new StringBuilder();
        t_builder = null;
        builder.Clear().EnsureCapacity(512 + failure.Summary.Length);
        builder.Append("# ").Append(failure.Title).Append("\n\n");
        builder.Append("**Domain**: ").Append(failure.Domain).Append('\n');
        builder.Append("**Severity**: ").Append(failure.Severity.ToString(CultureInfo.InvariantCulture)).Append('\n');
        builder.Append("**Tags**: ").Append(failure.Tags).Append('\n');
        // ELF's record-failure.sh writes its own shell comment into the file (its heredoc's line): ELF's bytes, kept.
        builder.Append("**Date**: ").Append(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append(ElfDateComment).Append("\n\n");
        builder.Append("## Summary\n\n").Append(failure.Summary).Append("\n\n");
        builder.Append("## What Happened\n\n[Describe the failure in detail]\n\n");
        builder.Append("## Root Cause\n\n[What was the underlying issue?]\n\n");
        builder.Append("## Impact\n\n[What were the consequences?]\n\n");
        builder.Append("## Prevention\n\n[What heuristic or practice would prevent this?]\n\n");
        builder.Append("## Related\n\n");
        builder.Append("- **Experiments**:\n");
        builder.Append("- **Heuristics**:\n");
        builder.Append("- **Similar Failures**:\n");
        var text = builder.ToString();
        if (builder.Capacity <= KeptBuilderCapacity) t_builder = builder;
        return text;
    }

    // A builder grown by an unusually long summary is let go rather than kept for every later record.
    private const int KeptBuilderCapacity = 16 * 1024;
    [ThreadStatic] private static StringBuilder? t_builder;

    /// <summary>What follows the date on the Date line of every failure file ELF's record-failure.sh writes.</summary>
    public const string ElfDateComment = "  # TIME-FIX-3: Use consistent captured date";

    /// <summary>ELF's file name without the uniqueness suffix: <c>YYYYMMDD_slug</c>.</summary>
    public static string FileStem(ValidatedLearning failure, DateOnly date)
    {
        var slug = Text.Slug.From(failure.Title);
        if (slug.Trim('-').Length == 0) slug = failure.Type; // titles in scripts with no [a-z0-9] (e.g. CJK) still get a file
        return date.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "_" + slug;
    }

    /// <summary>The n-th candidate name for a stem: the plain name first, then -2, -3 … so no record overwrites another.</summary>
    public static string Candidate(string stem, int attempt) =>
        attempt <= 1 ? stem + ".md" : $"{stem}-{attempt.ToString(CultureInfo.InvariantCulture)}.md";
}
