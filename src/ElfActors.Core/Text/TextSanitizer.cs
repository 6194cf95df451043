using System.Text;
using System.Text.RegularExpressions;

namespace ElfActors.Core.Text;

/// <summary>
/// Keeps control characters out of files and commit messages, as ELF did (it stripped ANSI escapes,
/// control characters and CR/LF from single-line fields).
/// </summary>
public static partial class TextSanitizer
{
    [GeneratedRegex(@"\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial Regex AnsiEscape();

    [GeneratedRegex(@" {2,}")]
    private static partial Regex RepeatedSpaces();

    /// <summary>A one-line field: escapes and control characters removed, line breaks and tabs become spaces.</summary>
    public static string SingleLine(string? value)
    {
        if (string.IsNullOrEmpty(value)) return string.Empty;
        var withoutEscapes = AnsiEscape().Replace(value, string.Empty);
        var builder = new StringBuilder(withoutEscapes.Length);
        foreach (var rune in withoutEscapes.EnumerateRunes())
        {
            if (rune.Value is '\r' or '\n' or '\t') builder.Append(' ');
            else if (!IsUnwanted(rune)) builder.Append(rune.ToString());
        }
        return RepeatedSpaces().Replace(builder.ToString(), " ").Trim();
    }

    /// <summary>A multi-line field: line breaks normalised to LF and tabs kept; every other control character removed.</summary>
    public static string MultiLine(string? value)
    {
        if (string.IsNullOrEmpty(value)) return string.Empty;
        var withoutEscapes = AnsiEscape().Replace(value.Replace("\r\n", "\n").Replace('\r', '\n'), string.Empty);
        var builder = new StringBuilder(withoutEscapes.Length);
        foreach (var rune in withoutEscapes.EnumerateRunes())
        {
            if (rune.Value is '\n' or '\t' || !IsUnwanted(rune)) builder.Append(rune.ToString());
        }
        return builder.ToString().Trim();
    }

    /// <summary>Counts characters the way a person (and ELF's bash) does: Unicode scalar values, not UTF-16 units.</summary>
    public static int Length(string value) => value.EnumerateRunes().Count();

    private static bool IsUnwanted(Rune rune) =>
        Rune.IsControl(rune)
        || Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Format
            && rune.Value is not 0x200D // keep the zero-width joiner that emoji sequences need
        || rune.Value is 0x2028 or 0x2029; // line and paragraph separators act as line breaks in many readers
}
