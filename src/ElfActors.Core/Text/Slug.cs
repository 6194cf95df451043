using System.Text;

namespace ElfActors.Core.Text;

/// <summary>ELF's file-name slug: lower-cased, spaces to '-', only [a-z0-9-] kept, at most 100 characters.</summary>
public static class Slug
{
    public const int MaxLength = 100;

    public static string From(string title)
    {
        var builder = new StringBuilder(Math.Min(title.Length, MaxLength));
        foreach (var c in title.ToLowerInvariant())
        {
            if (builder.Length == MaxLength) break;
            if (c == ' ') builder.Append('-');
            else if (c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-') builder.Append(c);
        }
        return builder.ToString();
    }
}
