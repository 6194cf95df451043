namespace ElfActors.Tests.Docs;

/// <summary>A fenced block of a markdown page: its language, the line its fence opens on, and its text.</summary>
public sealed record MarkdownBlock(string Language, int Line, string Text)
{
    public string FirstLine => Text.Split('\n')[0].Trim();

    public static List<MarkdownBlock> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var blocks = new List<MarkdownBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            var language = lines[i][3..].Trim();
            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].Trim() != "```") end++;
            Assert.True(end < lines.Length, $"{path}:{i + 1}: a fenced block that is never closed");
            blocks.Add(new MarkdownBlock(language.Length == 0 ? "(none)" : language, i + 1, string.Join('\n', lines[start..end])));
            i = end;
        }
        return blocks;
    }
}
