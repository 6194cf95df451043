using System.Globalization;
using System.Text.RegularExpressions;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Audit;

/// <summary>
/// <c>elf verify</c> for heuristics and decisions: every heuristics row has its <c>## H-&lt;id&gt;:</c> entry in its
/// domain file and that entry is on the branch; every decisions row has its <c># ADR-&lt;id&gt;:</c> file, on the
/// branch; and no entry or ADR file names a row that does not exist. Problems are reported in
/// <see cref="MemoryVerifier"/>'s lists, each line naming the record.
/// </summary>
internal static partial class DropInAudit
{
    public sealed record Findings(List<string> RowsWithoutFile, List<string> FilesWithoutRow, List<string> RowsNotInGit, int Rows);

    [GeneratedRegex(@"\A# ADR-(\d+):")]
    private static partial Regex DecisionHeading();

    public static Findings Check(MemoryPaths paths, HashSet<string> pending)
    {
        var findings = new Findings([], [], [], 0);
        using var connection = OutboxQueries.OpenReadOnly(paths);
        var heuristics = Rows(connection, "heuristics", "SELECT id, domain FROM heuristics");
        // ELF's own writers' heuristics (post_tool_learning.py's source_type 'auto') never get a domain-file entry:
        // ELF's, left to ELF (docs/adr/0021), not a missing file.
        var elfOwn = Rows(connection, "heuristics", "SELECT id, domain FROM heuristics WHERE source_type = 'auto'").Select(r => r.Id).ToHashSet();
        var decisions = Rows(connection, "decisions", "SELECT id, domain FROM decisions");
        var pendingKeys = PendingKeys(connection);

        // Heuristics: a row's entry is the one whose text its outbox entry hashed (docs/adr/0036: the H-number in a heading
        // is the writing machine's, so entries that arrived from another machine carry other numbers); a row without a
        // content hash (ELF's own, a reindexed one) or whose entry was edited is matched by its number, as ELF does.
        var hashes = OutboxColumn(connection, OutboxTables.Heuristics, "content_hash");
        var onDisk = new Dictionary<string, DomainEntries>(StringComparer.Ordinal);
        var inGit = new Dictionary<string, DomainEntries>(StringComparer.Ordinal);
        foreach (var file in Directory.Exists(paths.HeuristicsDirectory) ? Directory.EnumerateFiles(paths.HeuristicsDirectory, "*.md") : [])
        {
            var relative = HeuristicMarkdown.Folder + Path.GetFileName(file);
            onDisk[relative] = new DomainEntries(File.ReadAllText(file));
            inGit[relative] = new DomainEntries(Show(paths, relative));
        }
        var claimed = new HashSet<Entry>();
        var found = new Dictionary<long, (string File, Entry Entry, bool ByHash)>();
        foreach (var (id, domain) in heuristics.Where(h => hashes.ContainsKey(h.Id)))
        {
            var relative = HeuristicMarkdown.RelativePath(domain);
            if (onDisk.TryGetValue(relative, out var entries) && entries.TakeByHash(hashes[id]) is { } entry)
            {
                claimed.Add(entry);
                found[id] = (relative, entry, true);
            }
        }
        foreach (var (id, domain) in heuristics.Where(h => !found.ContainsKey(h.Id)))
        {
            var relative = HeuristicMarkdown.RelativePath(domain);
            var byNumber = onDisk.TryGetValue(relative, out var entries) ? entries.WithId(id).Where(e => !claimed.Contains(e)).ToList() : [];
            if (byNumber.Count == 0) continue;
            found[id] = (relative, byNumber[0], false);
            claimed.UnionWith(byNumber);
        }
        foreach (var (id, domain) in heuristics)
        {
            var name = $"heuristic H-{id.ToString(CultureInfo.InvariantCulture)}: {HeuristicMarkdown.RelativePath(domain)}";
            if (!found.TryGetValue(id, out var match))
            {
                if (!elfOwn.Contains(id)) findings.RowsWithoutFile.Add(name + " has no entry for it");
                continue;
            }
            var committed = match.ByHash ? inGit[match.File].HasHash(match.Entry.Hash) : inGit[match.File].WithId(id).Count > 0;
            if (!committed && !pendingKeys.Contains("H-" + id.ToString(CultureInfo.InvariantCulture))) findings.RowsNotInGit.Add(name);
        }
        foreach (var (file, entries) in onDisk)
            foreach (var entry in entries.All.Where(e => !claimed.Contains(e)))
                findings.FilesWithoutRow.Add($"{file}: H-{entry.Id.ToString(CultureInfo.InvariantCulture)} has no heuristics row");

        // Decisions: one file per row, the one its outbox entry names; else (ELF's own rows) the file headed with its id.
        var decisionPaths = OutboxColumn(connection, OutboxTables.Decisions, "relpath");
        var headings = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in Directory.Exists(paths.DecisionsDirectory) ? Directory.EnumerateFiles(paths.DecisionsDirectory, "*.md") : [])
        {
            var match = DecisionHeading().Match(File.ReadAllText(file));
            if (match.Success) headings[DecisionMarkdown.Folder + Path.GetFileName(file)] = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        var byOutbox = decisionPaths.Values.Where(headings.ContainsKey).ToHashSet(StringComparer.Ordinal);
        var byHeading = new Dictionary<long, string>();
        foreach (var (relative, id) in headings.Where(h => !byOutbox.Contains(h.Key)).OrderBy(h => h.Key, StringComparer.Ordinal)) byHeading.TryAdd(id, relative);
        var tracked = MemoryReader.TrackedFiles(paths, "memory/decisions");
        var decisionFiles = new HashSet<string>(byOutbox, StringComparer.Ordinal);
        foreach (var (id, _) in decisions)
        {
            var name = "decision ADR-" + id.ToString(CultureInfo.InvariantCulture);
            var relative = decisionPaths.TryGetValue(id, out var own) && headings.ContainsKey(own) ? own : byHeading.GetValueOrDefault(id);
            if (relative is null) findings.RowsWithoutFile.Add(name + ": no file headed with it in memory/decisions/");
            else
            {
                decisionFiles.Add(relative);
                if (!tracked.Contains(relative) && !pending.Contains(relative)) findings.RowsNotInGit.Add($"{name}: {relative}");
            }
        }
        foreach (var (relative, id) in headings.Where(h => !decisionFiles.Contains(h.Key)).OrderBy(h => h.Key, StringComparer.Ordinal))
            findings.FilesWithoutRow.Add($"{relative}: ADR-{id.ToString(CultureInfo.InvariantCulture)} has no decisions row");
        return findings with { Rows = heuristics.Count + decisions.Count };
    }

    /// <summary>One entry of a domain file: its heading's number and the hash of its text (a class: two equal entries are two).</summary>
    private sealed class Entry(long id, string hash)
    {
        public long Id { get; } = id;
        public string Hash { get; } = hash;
    }

    /// <summary>A domain file's entries, found by their text's hash or their number in O(1): a row's lookup is not a scan of the file.</summary>
    private sealed class DomainEntries
    {
        private readonly Dictionary<string, Queue<Entry>> _byHash = new(StringComparer.Ordinal);
        private readonly Dictionary<long, List<Entry>> _byId = [];

        public DomainEntries(string text)
        {
            All = HeuristicMarkdown.Parse(text).Select(e => new Entry(e.Id, RecordKeys.ContentHash(e.Text))).ToList();
            foreach (var entry in All)
            {
                if (!_byHash.TryGetValue(entry.Hash, out var same)) _byHash[entry.Hash] = same = new Queue<Entry>();
                same.Enqueue(entry);
                if (!_byId.TryGetValue(entry.Id, out var numbered)) _byId[entry.Id] = numbered = [];
                numbered.Add(entry);
            }
        }

        public IReadOnlyList<Entry> All { get; }

        /// <summary>The first entry with this text's hash that no row took yet, taken; null when none is left.</summary>
        public Entry? TakeByHash(string hash) => _byHash.TryGetValue(hash, out var same) && same.Count > 0 ? same.Dequeue() : null;

        public bool HasHash(string hash) => _byHash.ContainsKey(hash);

        public IReadOnlyList<Entry> WithId(long id) => _byId.TryGetValue(id, out var numbered) ? numbered : [];
    }

    /// <summary>Row id → a column of its outbox entry (the newest), for one of ELF's tables; empty where the outbox has none.</summary>
    private static Dictionary<long, string> OutboxColumn(Microsoft.Data.Sqlite.SqliteConnection connection, string table, string column)
    {
        var values = new Dictionary<long, string>();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT row_id, {column} FROM elf_outbox WHERE row_table = $t AND {column} IS NOT NULL ORDER BY id";
        command.Parameters.AddWithValue("$t", table);
        using var reader = command.ExecuteReader();
        while (reader.Read()) values[reader.GetInt64(0)] = reader.GetString(1);
        return values;
    }

    private static string Show(MemoryPaths paths, string relative)
    {
        try
        {
            return GitCli.Run(paths.BasePath, ["show", "HEAD:" + relative]);
        }
        catch (GitStoreException)
        {
            return string.Empty; // not on the branch (or no commit yet)
        }
    }

    private static List<(long Id, string Domain)> Rows(Microsoft.Data.Sqlite.SqliteConnection connection, string table, string sql)
    {
        using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $t";
        exists.Parameters.AddWithValue("$t", table);
        if (exists.ExecuteScalar() is null) return [];
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<(long, string)>();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? string.Empty : reader.GetValue(1).ToString()!));
        return rows;
    }

    private static HashSet<string> PendingKeys(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT row_table, row_id FROM elf_outbox WHERE commit_id IS NULL AND row_table <> 'learnings'";
        using var reader = command.ExecuteReader();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read()) keys.Add(OutboxTables.TrailerKey(reader.GetString(0), reader.GetInt64(1)));
        return keys;
    }
}
