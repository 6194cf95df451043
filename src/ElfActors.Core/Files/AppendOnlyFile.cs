namespace ElfActors.Core.Files;

/// <summary>
/// Appends to a file that many records share (a heuristics domain file) so that a reader or a crash sees the
/// old content or the new, never half an entry: the new content goes to a flushed temp file that replaces the
/// old one. Only one writer per file may call this at a time (the domain's actor, or start-up repair).
/// </summary>
public static class AppendOnlyFile
{
    /// <summary>Adds <paramref name="entries"/> (those not yet in the file) after the existing text, or after <paramref name="header"/> in a new file.</summary>
    public static int AppendMissing(string path, string header, IReadOnlyList<string> entries, bool flushToDisk)
    {
        lock (Gate) return AppendMissingUnderGate(path, header, entries, flushToDisk);
    }

    // Sync's integration also replaces these files (with the remote's entries, the local ones kept after them): one
    // replacement at a time in this process, so neither is read before the other's rename and lost by it.
    private static readonly object Gate = new();

    /// <summary>Replaces the file with what <paramref name="update"/> makes of its current text (null when absent), flushed, atomically.</summary>
    public static void Replace(string path, Func<string?, string> update)
    {
        lock (Gate)
        {
            AtomicFile.Replace(path, update(File.Exists(path) ? File.ReadAllText(path) : null), flushToDisk: true);
        }
    }

    private static int AppendMissingUnderGate(string path, string header, IReadOnlyList<string> entries, bool flushToDisk)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : null;
        var missing = entries.Where(e => existing is null || !existing.Contains(e, StringComparison.Ordinal)).Distinct().ToList();
        if (missing.Count == 0) return 0;
        var content = Markdown.HeuristicMarkdown.Append(existing ?? header, string.Empty, missing);
        AtomicFile.Replace(path, content, flushToDisk);
        return missing.Count;
    }

    /// <summary>Whether the file holds this entry's exact text.</summary>
    public static bool Contains(string path, string entry) =>
        File.Exists(path) && File.ReadAllText(path).Contains(entry, StringComparison.Ordinal);
}
