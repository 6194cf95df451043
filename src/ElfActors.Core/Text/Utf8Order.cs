namespace ElfActors.Core.Text;

/// <summary>
/// Compares strings in the order of their UTF-8 bytes (code point order): the order of SQLite's BINARY collation
/// (<c>ORDER BY relpath</c>) and of git's trees walked depth first (full paths, byte by byte). <see cref="StringComparer.Ordinal"/>
/// compares UTF-16 code units and differs where a character above U+FFFF (a surrogate pair) meets one in U+E000–U+FFFF.
/// </summary>
public sealed class Utf8Order : IComparer<string>
{
    public static Utf8Order Instance { get; } = new();

    private Utf8Order() { }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
            if (x[i] != y[i]) return InCodePointOrder(x[i]) - InCodePointOrder(y[i]);
        return x.Length - y.Length;
    }

    // Surrogates (U+D800–U+DFFF, the halves of code points above U+FFFF) moved above U+E000–U+FFFF.
    private static int InCodePointOrder(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
}
