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
        // Printable ASCII, what agents send nearly always, has nothing to remove: no copy, no per-character work.
        if (!value.AsSpan().ContainsAnyExceptInRange(' ', '~')) return value.Contains("  ", StringComparison.Ordinal) ? RepeatedSpaces().Replace(value, " ").Trim() : value.Trim();
        var withoutEscapes = AnsiEscape().Replace(value, string.Empty);
        var builder = new StringBuilder(withoutEscapes.Length);
        foreach (var rune in withoutEscapes.EnumerateRunes())
        {
            if (rune.Value is '\r' or '\n' or '\t') builder.Append(' ');
            else if (!IsUnwanted(rune)) Append(builder, rune);
        }
        return RepeatedSpaces().Replace(builder.ToString(), " ").Trim();
    }

    /// <summary>A multi-line field: line breaks normalised to LF and tabs kept; every other control character removed.</summary>
    public static string MultiLine(string? value)
    {
        if (string.IsNullOrEmpty(value)) return string.Empty;
        if (!value.AsSpan().ContainsAnyExcept(PlainMultiLine)) return value.Trim();
        var withoutEscapes = AnsiEscape().Replace(value.Replace("\r\n", "\n").Replace('\r', '\n'), string.Empty);
        var builder = new StringBuilder(withoutEscapes.Length);
        foreach (var rune in withoutEscapes.EnumerateRunes())
        {
            if (rune.Value is '\n' or '\t' || !IsUnwanted(rune)) Append(builder, rune);
        }
        return builder.ToString().Trim();
    }

    /// <summary>
    /// One line kept as given (spaces neither trimmed nor collapsed, tabs kept, as ELF's row keeps them): escapes and
    /// every other control character removed. The caller refuses line breaks first.
    /// </summary>
    public static string Verbatim(string value)
    {
        if (!value.AsSpan().ContainsAnyExcept(PlainMultiLine)) return value;
        var builder = new StringBuilder(value.Length);
        foreach (var rune in AnsiEscape().Replace(value, string.Empty).EnumerateRunes())
        {
            if (rune.Value == '\t' || !IsUnwanted(rune)) Append(builder, rune);
        }
        return builder.ToString();
    }

    /// <summary>Counts characters the way a person (and ELF's bash) does: Unicode scalar values, not UTF-16 units.</summary>
    public static int Length(string value) =>
        value.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? value.EnumerateRunes().Count() : value.Length;

    private static readonly System.Buffers.SearchValues<char> PlainMultiLine =
        System.Buffers.SearchValues.Create("\n\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static void Append(StringBuilder builder, Rune rune)
    {
        Span<char> units = stackalloc char[2];
        builder.Append(units[..rune.EncodeToUtf16(units)]);
    }

    private static bool IsUnwanted(Rune rune) =>
        Rune.IsControl(rune)
        || Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Format
            && rune.Value is not 0x200D // keep the zero-width joiner that emoji sequences need
        || rune.Value is 0x2028 or 0x2029; // line and paragraph separators act as line breaks in many readers
}
