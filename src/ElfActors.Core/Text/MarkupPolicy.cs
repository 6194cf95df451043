using System.Text.RegularExpressions;

namespace ElfActors.Core.Text;

/// <summary>
/// What a record's text may not contain because a markdown reader (ELF's dashboard, a git host) would act on it:
/// a level-1 or level-2 heading inside the summary forges the record's own sections (`## Root Cause`), and
/// active HTML (script, frames, embedded objects, event handlers, `javascript:` links) runs in a viewer.
/// Other angle brackets (`List&lt;T&gt;`, a quoted `&lt;div&gt;` from an error) are ordinary text and are kept.
/// </summary>
public static partial class MarkupPolicy
{
    // Up to three spaces of indentation still make an ATX heading in CommonMark.
    [GeneratedRegex(@"^ {0,3}#{1,2}(?:[ \t]|$)", RegexOptions.Multiline)]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"<\s*/?\s*(?:script|iframe|frame|frameset|object|embed|applet|style|link|meta|base|form|svg|math|template)\b|<[^>]*\son[a-z]+\s*=|javascript\s*:", RegexOptions.IgnoreCase)]
    private static partial Regex ActiveHtml();

    /// <summary>Why <paramref name="text"/> would act as markup in a reader, or null when it is plain text.</summary>
    public static string? ActiveHtmlIn(string text)
    {
        var match = ActiveHtml().Match(text);
        return match.Success
            ? $"contains active HTML ('{Excerpt(match.Value)}'), which a markdown viewer would run; describe it in words instead (e.g. 'a script tag')"
            : null;
    }

    /// <summary>Why a multi-line field would forge the record's sections, or null when it would not.</summary>
    public static string? SectionHeadingIn(string text)
    {
        var match = SectionHeading().Match(text);
        if (!match.Success) return null;
        var line = text[..match.Index].Count(c => c == '\n') + 1;
        var end = text.IndexOf('\n', match.Index);
        var heading = end < 0 ? text[match.Index..] : text[match.Index..end];
        return $"line {line} is a markdown heading ('{Excerpt(heading.Trim())}') that would forge a section of the record; use ### or deeper";
    }

    private static string Excerpt(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
