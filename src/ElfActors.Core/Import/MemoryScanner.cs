using System.Globalization;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Import;

/// <summary>
/// Reads what a memory folder holds: its markdown files (every ElfActors and ELF layout) and, when asked, the rows
/// of its <c>memory/index.db</c> (read-only). A row and the file it names become one record; a file without a row
/// is read from its text; a row whose file is gone is rendered from the row.
/// </summary>
public static class MemoryScanner
{
    /// <param name="keepContent">False: a learnings record read from its file keeps neither the file's text (its Content is
    /// empty) nor more of its summary than the first line (the row's); <see cref="WithContent"/> reads them again
    /// (docs/adr/0035, docs/adr/0040). Import reads a memory as this does without texts, but into a scratch database
    /// (<see cref="ImportScratch"/>, docs/adr/0055), not into lists of every record.</param>
    public static MemoryContents Scan(MemoryPaths source, bool includeDatabase, bool keepContent = true)
    {
        var skipped = new List<string>();
        var learnings = ScanLearningFiles(source, skipped, keepContent);
        var heuristics = ScanHeuristicFiles(source);
        var decisions = ScanDecisionFiles(source, skipped);
        if (!includeDatabase || !File.Exists(source.DatabasePath))
            return new MemoryContents(learnings.Values.ToList(), heuristics, decisions, skipped);

        using var connection = ReadOnlyIndex.Open(source.DatabasePath);
        var fromRows = new List<LearningRecord>();
        if (TableExists(connection, "learnings"))
        {
            foreach (var row in LearningRows(connection))
            {
                learnings.Remove(RelativeToBase(row[1] ?? string.Empty), out var fromFile);
                fromRows.Add(LearningFromRow(row, fromFile, skipped));
            }
        }
        if (TableExists(connection, "heuristics"))
        {
            var byKey = heuristics.GroupBy(h => (h.Heuristic.Domain, h.Heuristic.Rule)).ToDictionary(g => g.Key, g => new Queue<HeuristicRecord>(g));
            var merged = new List<HeuristicRecord>();
            foreach (var row in HeuristicRows(connection))
            {
                var heuristic = HeuristicFromRow(row);
                if (byKey.TryGetValue((heuristic.Heuristic.Domain, heuristic.Heuristic.Rule), out var queue) && queue.Count > 0) queue.Dequeue(); // the same heuristic's entry in its file
                merged.Add(heuristic);
            }
            merged.AddRange(byKey.Values.SelectMany(q => q)); // entries whose row is gone
            heuristics = merged;
        }
        if (TableExists(connection, "decisions"))
        {
            var byTitle = decisions.GroupBy(d => d.Decision.Title).ToDictionary(g => g.Key, g => new Queue<DecisionRecord>(g));
            var merged = new List<DecisionRecord>();
            foreach (var row in DecisionRows(connection))
                merged.Add(DecisionFromRow(row, title => byTitle.TryGetValue(title, out var queue) && queue.Count > 0 ? queue.Dequeue() : null));
            merged.AddRange(byTitle.Values.SelectMany(q => q));
            decisions = merged;
        }
        fromRows.AddRange(learnings.Values); // files without a row
        return new MemoryContents(fromRows, heuristics, decisions, skipped);
    }

    internal static IEnumerable<string?[]> LearningRows(SqliteConnection connection) =>
        Rows(connection, "SELECT type, filepath, title, summary, tags, domain, severity, created_at, updated_at FROM learnings ORDER BY id");

    /// <summary>
    /// The record a learnings row (<see cref="LearningRows"/>) makes: with the file it names (<paramref name="fromFile"/>, the
    /// first row naming it takes it), the row's columns and the file's whole summary; without, rendered from the row
    /// (a note says so).
    /// </summary>
    internal static LearningRecord LearningFromRow(string?[] row, LearningRecord? fromFile, List<string> skipped)
    {
        var path = RelativeToBase(row[1] ?? string.Empty);
        var type = LearningTypes.All.Contains(row[0] ?? "") ? row[0]! : LearningTypes.Failure;
        var severity = int.TryParse(row[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= 5 ? s : Severity.Default;
        if (fromFile is not null)
        {
            // The row has the authoritative columns; the file has the whole summary.
            var learning = new ValidatedLearning(row[2] ?? fromFile.Learning.Title, row[5] ?? "", severity, row[4] ?? "", fromFile.Learning.Summary) { Type = type };
            return fromFile with { Learning = learning, SummaryInRow = row[3], CreatedAt = row[7], UpdatedAt = row[8] };
        }
        var rendered = new ValidatedLearning(row[2] ?? "(untitled)", row[5] ?? "", severity, row[4] ?? "",
            string.IsNullOrEmpty(row[3]) ? LearningValidator.DefaultSummary : row[3]!) { Type = type };
        var date = DateOnly.FromDateTime(DateTime.TryParse(row[7], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : DateTime.UtcNow);
        var relative = IsLearningPath(path) ? path : LearningTypes.Folder(type) + FailureMarkdown.FileStem(rendered, date) + ".md";
        skipped.Add($"{path}: file missing; rendered from its database row (summary's first line only)");
        return new LearningRecord(relative, rendered, row[3], FailureMarkdown.Render(rendered, date), row[7], row[8]);
    }

    internal static IEnumerable<string?[]> HeuristicRows(SqliteConnection connection) =>
        Rows(connection, "SELECT id, domain, rule, explanation, source_type, source_id, confidence, times_validated, times_violated, is_golden, created_at, updated_at FROM heuristics ORDER BY id");

    /// <summary>The record a heuristics row (<see cref="HeuristicRows"/>) makes: its domain as its file's name, ELF's counters.</summary>
    internal static HeuristicRecord HeuristicFromRow(string?[] row)
    {
        var domain = HeuristicValidator.DomainFileName(row[1] ?? "");
        if (domain.Length == 0) domain = "general";
        var confidence = double.TryParse(row[6], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? Math.Clamp(value, 0, 1) : HeuristicValidator.DefaultConfidence;
        var heuristic = new ValidatedHeuristic(domain, row[2] ?? "", row[3] ?? "", string.IsNullOrEmpty(row[4]) ? HeuristicValidator.DefaultSource : row[4]!, confidence);
        return new HeuristicRecord(Long(row[0]), heuristic, Long(row[5]), Long(row[7]) ?? 0, Long(row[8]) ?? 0, Long(row[9]) ?? 0, row[10], row[11]);
    }

    internal static IEnumerable<string?[]> DecisionRows(SqliteConnection connection) =>
        Rows(connection, "SELECT id, title, context, options_considered, decision, rationale, domain, files_touched, tests_added, status, created_at, updated_at FROM decisions ORDER BY id");

    /// <summary>The record a decisions row (<see cref="DecisionRows"/>) makes, with the file <paramref name="takeFile"/> gives for its title (its path and text), if any.</summary>
    internal static DecisionRecord DecisionFromRow(string?[] row, Func<string, DecisionRecord?> takeFile)
    {
        var decision = new ValidatedDecision(row[1] ?? "", row[2] ?? "", row[4] ?? "", row[5] ?? "", row[3] ?? "",
            string.IsNullOrEmpty(row[6]) ? DecisionValidator.DefaultDomain : row[6]!, row[7] ?? "", row[8] ?? "");
        var file = takeFile(decision.Title);
        return new DecisionRecord(Long(row[0]), file?.RelativePath, decision, file?.Content, row[9] ?? "accepted", row[10], row[11]);
    }

    /// <summary>
    /// A learnings record scanned without its text (<c>keepContent: false</c>) with its file's text and whole summary read
    /// again; the row's columns it carries are kept. One whose file can no longer be read or parsed (changed since the
    /// scan) is rendered from what the scan kept, as a row whose file is gone is. Any other record is returned as it is.
    /// </summary>
    public static LearningRecord WithContent(MemoryPaths source, LearningRecord record)
    {
        if (record.Content.Length > 0) return record;
        var type = LearningTypes.All.FirstOrDefault(t => record.RelativePath.StartsWith(LearningTypes.Folder(t), StringComparison.Ordinal)) ?? record.Learning.Type;
        try
        {
            var content = File.ReadAllText(source.Absolute(record.RelativePath));
            if (LearningFileParser.Parse(content, type) is { } parsed)
                return record with { Content = content, Learning = record.Learning with { Summary = parsed.Learning.Summary } };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // gone or unreadable since the scan: rendered below
        }
        var date = DateOnly.FromDateTime(DateTime.TryParse(record.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : DateTime.UtcNow);
        return record with { Content = FailureMarkdown.Render(record.Learning, date) };
    }

    /// <summary>A row's filepath as a base-relative path: some ELF versions stored it absolute (…/memory/failures/x.md).</summary>
    public static string RelativeToBase(string path)
    {
        path = path.Replace('\\', '/');
        var memory = path.LastIndexOf("/memory/", StringComparison.Ordinal);
        return path.StartsWith("memory/", StringComparison.Ordinal) || memory < 0 ? path : path[(memory + 1)..];
    }

    private static bool IsLearningPath(string path) =>
        LearningTypes.All.Any(t => path.StartsWith(LearningTypes.Folder(t), StringComparison.Ordinal)) && path.EndsWith(".md", StringComparison.Ordinal)
        && !path.Contains("..", StringComparison.Ordinal) && path.Count(c => c == '/') == 2;

    private static Dictionary<string, LearningRecord> ScanLearningFiles(MemoryPaths source, List<string> skipped, bool keepContent)
    {
        var found = new Dictionary<string, LearningRecord>(StringComparer.Ordinal);
        foreach (var type in LearningTypes.All)
        {
            var folder = LearningTypes.Folder(type);
            var directory = source.Absolute(folder);
            if (!Directory.Exists(directory)) continue;
            foreach (var file in Directory.EnumerateFiles(directory, "*.md").Order(StringComparer.Ordinal))
            {
                var relative = folder + Path.GetFileName(file);
                if (ReadLearningFile(relative, File.ReadAllText(file), type, keepContent) is { } record) found[relative] = record;
                else skipped.Add(NoHeading(relative));
            }
        }
        return found;
    }

    /// <summary>
    /// The learnings files, read one at a time as the folders list them (never all their names or records at once), as
    /// <see cref="Scan"/> with <c>keepContent: false</c> reads them; the names of files without a heading are added to
    /// <paramref name="skipped"/> in the order <see cref="Scan"/> gives, each folder's once it is read (reindex, docs/adr/0051).
    /// </summary>
    public static IEnumerable<LearningRecord> LearningFiles(MemoryPaths source, List<string> skipped)
    {
        foreach (var type in LearningTypes.All)
        {
            var folder = LearningTypes.Folder(type);
            var directory = source.Absolute(folder);
            if (!Directory.Exists(directory)) continue;
            var unread = new List<string>();
            foreach (var file in Directory.EnumerateFiles(directory, "*.md"))
            {
                var relative = folder + Path.GetFileName(file);
                if (ReadLearningFile(relative, File.ReadAllText(file), type, keepContent: false) is { } record) yield return record;
                else unread.Add(relative);
            }
            skipped.AddRange(unread.Order(StringComparer.Ordinal).Select(NoHeading));
        }
    }

    /// <summary>Whether the memory's files hold any record <see cref="Scan"/> would read, found without reading them all.</summary>
    public static bool HoldsAnyRecord(MemoryPaths source)
    {
        var skipped = new List<string>();
        return LearningFiles(source, skipped).Any() || ScanHeuristicFiles(source).Count > 0 || ScanDecisionFiles(source, skipped).Count > 0;
    }

    private static string NoHeading(string relative) => $"{relative}: no '# title' heading";

    private static LearningRecord? ReadLearningFile(string relative, string content, string type, bool keepContent)
    {
        if (LearningFileParser.Parse(content, type) is not { } parsed) return null;
        var learning = keepContent ? parsed.Learning : parsed.Learning with { Summary = parsed.Learning.SummaryFirstLine };
        return new LearningRecord(relative, learning, null, keepContent ? content : string.Empty,
            parsed.Date is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00" : null, null);
    }

    internal static List<HeuristicRecord> ScanHeuristicFiles(MemoryPaths source) => HeuristicFileEntries(source).ToList();

    /// <summary>The heuristic entries of the domain files, by file name, each file's in its order; one file's text read at a time.</summary>
    internal static IEnumerable<HeuristicRecord> HeuristicFileEntries(MemoryPaths source)
    {
        if (!Directory.Exists(source.HeuristicsDirectory)) yield break;
        foreach (var file in Directory.EnumerateFiles(source.HeuristicsDirectory, "*.md").Order(StringComparer.Ordinal))
        {
            var domain = Path.GetFileNameWithoutExtension(file);
            foreach (var entry in HeuristicMarkdown.Parse(File.ReadAllText(file)))
            {
                var created = entry.Created is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00" : null;
                yield return new HeuristicRecord(entry.Id, new ValidatedHeuristic(domain, entry.Rule, entry.Explanation, entry.Source, entry.Confidence),
                    CreatedAt: created, UpdatedAt: created, EntryText: entry.Text);
            }
        }
    }

    internal static List<DecisionRecord> ScanDecisionFiles(MemoryPaths source, List<string> skipped) => DecisionFiles(source, skipped, sorted: true).ToList();

    /// <summary>
    /// The decision files, one read at a time: by name when <paramref name="sorted"/>, else as the folder lists them (never
    /// all their names at once; the caller orders them). A file without an ADR heading is added to <paramref name="skipped"/>.
    /// </summary>
    internal static IEnumerable<DecisionRecord> DecisionFiles(MemoryPaths source, List<string> skipped, bool sorted)
    {
        if (!Directory.Exists(source.DecisionsDirectory)) yield break;
        var files = Directory.EnumerateFiles(source.DecisionsDirectory, "*.md");
        foreach (var file in sorted ? files.Order(StringComparer.Ordinal) : files)
        {
            var relative = DecisionMarkdown.Folder + Path.GetFileName(file);
            var content = File.ReadAllText(file);
            if (DecisionMarkdown.Parse(content) is not { } parsed)
            {
                skipped.Add($"{relative}: no '# ADR-<id>: title' heading");
                continue;
            }
            var created = parsed.Date is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00" : null;
            yield return new DecisionRecord(parsed.Id, relative, parsed.Decision, content, CreatedAt: created, UpdatedAt: created);
        }
    }

    private static long? Long(string? text) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    internal static bool TableExists(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return command.ExecuteScalar() is not null;
    }

    private static IEnumerable<string?[]> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
            yield return row;
        }
    }
}
