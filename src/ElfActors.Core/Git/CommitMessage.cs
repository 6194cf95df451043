using System.Globalization;
using System.Text;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Git;

/// <summary>
/// Commit messages in ELF's format, plus one <c>Elf-Record</c> trailer per record so that a commit made
/// just before a crash is recognised on restart instead of being made twice.
/// </summary>
public static class CommitMessage
{
    public const string TrailerKey = "Elf-Record";

    /// <summary>
    /// The trailer that names a record in a shared file by its entry (docs/adr/0036): <c>Elf-Entry: &lt;key&gt; &lt;content hash&gt;</c>,
    /// beside the record's <c>Elf-Record</c> trailer. A heuristics domain file holds many records; the entry's text (its
    /// git blob id, the outbox's content hash) tells which entry a key is, on any machine.
    /// </summary>
    public const string EntryTrailerKey = "Elf-Entry";

    public static string For(IReadOnlyList<OutboxEntry> records)
    {
        var builder = new StringBuilder();
        Write(builder, records);
        return builder.ToString();
    }

    /// <summary>
    /// <see cref="For"/>'s message appended to <paramref name="builder"/>: the committer writes each batch's into one builder
    /// it keeps (a batch's message is a few hundred KB, a large object as a string per commit: docs/adr/0076).
    /// </summary>
    public static void Write(StringBuilder builder, IReadOnlyList<OutboxEntry> records)
    {
        if (records.Count == 0) throw new ArgumentException("A commit needs at least one record.", nameof(records));
        if (records.Count == 1)
        {
            // ELF's own shape: git commit -m "failure: <title>" -m "Domain: <domain> | Severity: <severity>"
            builder.Append(records[0].Subject).Append("\n\n").Append(records[0].Detail).Append("\n\n");
        }
        else
        {
            builder.Append("elf: record ").Append(records.Count.ToString(CultureInfo.InvariantCulture))
                .Append(' ').Append(Describe(records)).Append("\n\n");
            foreach (var record in records)
                builder.Append(record.Subject).Append(" (").Append(record.Detail).Append(")\n");
            builder.Append('\n');
        }
        foreach (var record in records)
        {
            builder.Append(TrailerKey).Append(": ").Append(record.TrailerKey);
            // A keyed trailer names the record's file too: history alone maps every key to its file (docs/adr/0017).
            if (record.RecordKey is not null) builder.Append(' ').Append(record.RelativePath);
            builder.Append('\n');
            if (record.RecordKey is not null && record.SharesFile)
                builder.Append(EntryTrailerKey).Append(": ").Append(record.RecordKey).Append(' ').Append(RecordKeys.ContentHash(record.Content)).Append('\n');
        }
    }

    private static string Describe(IReadOnlyList<OutboxEntry> records)
    {
        var kinds = records.GroupBy(r => r.Kind).Select(g => (Kind: g.Key, Count: g.Count())).ToList();
        return kinds.Count == 1
            ? Plural(kinds[0].Kind, kinds[0].Count)
            : "records (" + string.Join(", ", kinds.Select(k => $"{k.Count} {Plural(k.Kind, k.Count)}")) + ")";
    }

    private static string Plural(string kind, int count) => count == 1 ? kind : kind.EndsWith('s') ? kind + "es" : kind + "s";

    /// <summary>
    /// Every <c>Elf-Record</c> trailer's key in a commit message: a record key (UUIDv7), or in commits made before
    /// record keys a learnings id, <c>H-&lt;id&gt;</c> or <c>ADR-&lt;id&gt;</c>.
    /// </summary>
    public static IEnumerable<string> TrailerKeys(string message) => Trailers(message).Select(t => t.Key);

    /// <summary>Every <c>Elf-Record</c> trailer: its key, and the record's file where the trailer names one (keyed trailers do).</summary>
    public static IEnumerable<(string Key, string? Path)> Trailers(string message)
    {
        foreach (var line in message.Split('\n'))
            if (TrailerOf(line) is { } trailer) yield return trailer;
    }

    /// <summary>The <c>Elf-Record</c> trailer one line of a commit message is, or null: what <see cref="Trailers"/> reads line by line.</summary>
    public static (string Key, string? Path)? TrailerOf(string rawLine)
    {
        var line = rawLine.TrimEnd('\r');
        if (!line.StartsWith(TrailerKey + ":", StringComparison.Ordinal)) return null;
        var value = line[(TrailerKey.Length + 1)..].Trim();
        if (value.Length == 0) return null;
        var space = value.IndexOf(' ');
        return space > 0 && RecordKeys.IsKey(value[..space]) ? (value[..space], value[(space + 1)..].Trim()) : (value, null);
    }

    /// <summary>
    /// The learnings record ids named by integer <c>Elf-Record</c> trailers (commits made before record keys). Only
    /// rows stored before record keys may be matched against them: a recreated index numbers new rows from 1 again.
    /// </summary>
    public static IEnumerable<long> RecordIds(string message)
    {
        foreach (var key in TrailerKeys(message))
            if (long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                yield return id;
    }

    /// <summary>Every <c>Elf-Entry</c> trailer (see <see cref="EntryTrailerKey"/>): an entry's content hash and its record key.</summary>
    public static IEnumerable<(string Key, string ContentHash)> EntryTrailers(string message)
    {
        foreach (var rawLine in message.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (!line.StartsWith(EntryTrailerKey + ":", StringComparison.Ordinal)) continue;
            var fields = line[(EntryTrailerKey.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && RecordKeys.IsKey(fields[0]) && fields[1].Length == 40) yield return (fields[0], fields[1]);
        }
    }

    /// <summary>
    /// Every <c>Elf-Entry</c> trailer with the shared file its record's <c>Elf-Record</c> trailer (same key, same message)
    /// names: which entry of which file a key is (docs/adr/0045: reindex and arrival read it alike).
    /// </summary>
    public static IEnumerable<(string Key, string Path, string ContentHash)> EntriesWithFile(string message)
    {
        Dictionary<string, string>? files = null;
        foreach (var (key, hash) in EntryTrailers(message))
        {
            files ??= Trailers(message).Where(t => t.Path is not null).GroupBy(t => t.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First().Path!, StringComparer.Ordinal);
            if (files.TryGetValue(key, out var path)) yield return (key, path, hash);
        }
    }
}
