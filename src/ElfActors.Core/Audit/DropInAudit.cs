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

    [GeneratedRegex(@"^## H-(\d+):", RegexOptions.Multiline)]
    private static partial Regex HeuristicHeading();

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

        // Heuristics: entries in the files on disk and at the branch's tip, by domain file.
        var onDisk = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        var inGit = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var file in Directory.Exists(paths.HeuristicsDirectory) ? Directory.EnumerateFiles(paths.HeuristicsDirectory, "*.md") : [])
        {
            var relative = HeuristicMarkdown.Folder + Path.GetFileName(file);
            onDisk[relative] = Ids(HeuristicHeading(), File.ReadAllText(file));
            inGit[relative] = Ids(HeuristicHeading(), Show(paths, relative));
        }
        var heuristicIds = new HashSet<long>();
        foreach (var (id, domain) in heuristics)
        {
            heuristicIds.Add(id);
            var relative = HeuristicMarkdown.RelativePath(domain);
            var name = $"heuristic H-{id.ToString(CultureInfo.InvariantCulture)}: {relative}";
            if (!onDisk.TryGetValue(relative, out var entries) || !entries.Contains(id))
            {
                if (!elfOwn.Contains(id)) findings.RowsWithoutFile.Add(name + " has no entry for it");
            }
            else if (!inGit[relative].Contains(id) && !pendingKeys.Contains("H-" + id.ToString(CultureInfo.InvariantCulture))) findings.RowsNotInGit.Add(name);
        }
        foreach (var (file, ids) in onDisk)
            foreach (var id in ids.Where(i => !heuristicIds.Contains(i)))
                findings.FilesWithoutRow.Add($"{file}: H-{id.ToString(CultureInfo.InvariantCulture)} has no heuristics row");

        // Decisions: one file per row, headed with its id.
        var decisionFiles = new Dictionary<long, string>();
        foreach (var file in Directory.Exists(paths.DecisionsDirectory) ? Directory.EnumerateFiles(paths.DecisionsDirectory, "*.md") : [])
        {
            var relative = DecisionMarkdown.Folder + Path.GetFileName(file);
            var match = DecisionHeading().Match(File.ReadAllText(file));
            if (match.Success) decisionFiles.TryAdd(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), relative);
        }
        var tracked = MemoryReader.TrackedFiles(paths, "memory/decisions");
        var decisionIds = decisions.Select(d => d.Id).ToHashSet();
        foreach (var (id, _) in decisions)
        {
            var name = "decision ADR-" + id.ToString(CultureInfo.InvariantCulture);
            if (!decisionFiles.TryGetValue(id, out var relative)) findings.RowsWithoutFile.Add(name + ": no file headed with it in memory/decisions/");
            else if (!tracked.Contains(relative) && !pending.Contains(relative)) findings.RowsNotInGit.Add($"{name}: {relative}");
        }
        foreach (var (id, file) in decisionFiles.Where(d => !decisionIds.Contains(d.Key)))
            findings.FilesWithoutRow.Add($"{file}: ADR-{id.ToString(CultureInfo.InvariantCulture)} has no decisions row");
        return findings with { Rows = heuristics.Count + decisions.Count };
    }

    private static HashSet<long> Ids(Regex heading, string text) =>
        heading.Matches(text).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToHashSet();

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
