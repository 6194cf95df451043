namespace ElfActors.Core.Markdown;

/// <summary>Reads ELF's simple markdown back: <c>**Name**: value</c> lines and <c>## Section</c> bodies.</summary>
internal static class MarkdownSections
{
    /// <summary>The value of the first <c>**name**: value</c> line, or null.</summary>
    public static string? Field(string content, string name)
    {
        var prefix = "**" + name + "**:";
        foreach (var line in content.Split('\n'))
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Trim();
        return null;
    }

    /// <summary>Each <c>## Heading</c>'s body, trimmed, up to the next heading or a <c>---</c> rule.</summary>
    public static Dictionary<string, string> Split(string content)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var body = new List<string>();
        foreach (var line in content.Split('\n'))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal) || line == "---")
            {
                Close();
                current = line == "---" ? null : line[3..].Trim();
                continue;
            }
            if (current is not null) body.Add(line);
        }
        Close();
        return sections;

        void Close()
        {
            if (current is not null) sections.TryAdd(current, string.Join('\n', body).Trim());
            body.Clear();
        }
    }
}
