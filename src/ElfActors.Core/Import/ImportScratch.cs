using System.Globalization;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Import;

/// <summary>
/// What import reads from the memory it brings in, kept in a scratch SQLite database in this memory
/// (<c>memory/index.db-import-scratch</c>, ignored by git like every <c>index.db-*</c>; deleted when the import ends, and
/// when the next one starts after a killed one), never in the process's memory (docs/adr/0055): the learnings files as
/// the scan reads them (each record's fields and its summary's first line, no text), the heuristic entries and decision
/// files, and the records made of them and of the source's rows, in the order <see cref="MemoryScanner.Scan"/> gives.
/// The import then reads them back one batch at a time (<see cref="Records"/>). Written without a journal, its page
/// cache bounded (<see cref="ScratchDatabase"/>); one transaction for the whole import.
/// </summary>
internal sealed class ImportScratch : IDisposable
{
    private readonly ScratchSession _session;

    private const string LearningColumns = "path, type, title, domain, severity, tags, summary, summary_in_row, content, created, updated";
    private const string HeuristicColumns = "id, domain, rule, explanation, source, confidence, source_id, times_validated, times_violated, is_golden, created, updated, entry_text";
    private const string DecisionColumns = "id, path, title, context, decision, rationale, options, domain, files, tests, content, status, created, updated";

    private ImportScratch(SqliteConnection connection, string path)
    {
        _session = new ScratchSession(connection, path);
    }

    /// <summary>The scratch database of an import into <paramref name="target"/> (a killed import's is replaced).</summary>
    public static ImportScratch Create(MemoryPaths target)
    {
        var path = target.DatabasePath + "-import-scratch";
        Directory.CreateDirectory(target.MemoryDirectory);
        var connection = ScratchDatabase.Open(path);
        try
        {
            // The scan orders file names as .NET's ordinal comparison does (UTF-16 code units), not SQLite's bytes.
            connection.CreateCollation("ORDINAL", string.CompareOrdinal);
            using var setup = connection.CreateCommand();
            // *_files: what the files hold (a row takes at most one: matched / consumed); the other tables: the records
            // made of the source's rows, in its rows' order. Every record table has the columns of its record.
            setup.CommandText = $"""
                CREATE TABLE learning_files (type_order INTEGER NOT NULL, matched INTEGER NOT NULL DEFAULT 0, {LearningColumns});
                CREATE TABLE learning_rows (seq INTEGER PRIMARY KEY, {LearningColumns});
                CREATE TABLE heuristic_entries (seq INTEGER PRIMARY KEY, first_seq INTEGER, consumed INTEGER NOT NULL DEFAULT 0, {HeuristicColumns});
                CREATE TABLE heuristic_rows (seq INTEGER PRIMARY KEY, {HeuristicColumns});
                CREATE TABLE decision_files (first_path TEXT, consumed INTEGER NOT NULL DEFAULT 0, {DecisionColumns});
                CREATE TABLE decision_rows (seq INTEGER PRIMARY KEY, {DecisionColumns});
                """;
            setup.ExecuteNonQuery();
            return new ImportScratch(connection, path);
        }
        catch
        {
            connection.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Whether the source's rows were read for each kind (then its files left over come after, grouped as <see cref="MemoryScanner.Scan"/> groups them).</summary>
    private bool _heuristicRowsRead, _decisionRowsRead;

    /// <summary>Records found: learnings, heuristics and decisions, each made once (<see cref="Records"/> gives them).</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Reads <paramref name="source"/> as <see cref="MemoryScanner.Scan"/> (with its database, without texts) does, into the
    /// scratch database: the same records in the same order and the same notes, holding one file's text or one row at a time.
    /// </summary>
    public IReadOnlyList<string> Scan(MemoryPaths source)
    {
        var skipped = new List<string>();
        foreach (var learning in MemoryScanner.LearningFiles(source, skipped)) AddLearningFile(learning);
        Execute("CREATE UNIQUE INDEX learning_files_path ON learning_files(path)");
        foreach (var heuristic in MemoryScanner.HeuristicFileEntries(source)) InsertHeuristic("heuristic_entries", heuristic);
        var decisionNotes = new List<string>();
        foreach (var decision in MemoryScanner.DecisionFiles(source, decisionNotes, sorted: false)) InsertDecision("decision_files", decision);
        skipped.AddRange(decisionNotes.Order(StringComparer.Ordinal));
        Execute("""
            CREATE INDEX heuristic_entries_key ON heuristic_entries(domain, rule, seq);
            CREATE INDEX decision_files_title ON decision_files(title, path COLLATE ORDINAL);
            """);

        if (File.Exists(source.DatabasePath))
        {
            using var connection = ReadOnlyIndex.Open(source.DatabasePath);
            if (MemoryScanner.TableExists(connection, "learnings"))
                foreach (var row in MemoryScanner.LearningRows(connection))
                {
                    var path = MemoryScanner.RelativeToBase(row[1] ?? string.Empty);
                    var record = MemoryScanner.LearningFromRow(row, TakeLearningFile(path), skipped);
                    InsertLearning("learning_rows", record, typeOrder: null);
                }
            if (MemoryScanner.TableExists(connection, "heuristics"))
            {
                _heuristicRowsRead = true;
                foreach (var row in MemoryScanner.HeuristicRows(connection))
                {
                    var heuristic = MemoryScanner.HeuristicFromRow(row);
                    // The same heuristic's entry in its file (the first not yet taken) is taken by its row.
                    Execute("""
                        UPDATE heuristic_entries SET consumed = 1 WHERE seq =
                            (SELECT seq FROM heuristic_entries WHERE domain = $d AND rule = $r AND consumed = 0 ORDER BY seq LIMIT 1)
                        """, ("$d", heuristic.Heuristic.Domain), ("$r", heuristic.Heuristic.Rule));
                    InsertHeuristic("heuristic_rows", heuristic);
                }
            }
            if (MemoryScanner.TableExists(connection, "decisions"))
            {
                _decisionRowsRead = true;
                foreach (var row in MemoryScanner.DecisionRows(connection))
                {
                    var decision = MemoryScanner.DecisionFromRow(row, TakeDecisionFile);
                    InsertDecision("decision_rows", decision);
                }
            }
        }
        // Files left over are grouped by their key, in the order each key first appears (Scan's GroupBy).
        Execute("""
            UPDATE heuristic_entries SET first_seq = (SELECT MIN(seq) FROM heuristic_entries g WHERE g.domain = heuristic_entries.domain AND g.rule = heuristic_entries.rule);
            UPDATE decision_files SET first_path = (SELECT MIN(path COLLATE ORDINAL) FROM decision_files g WHERE g.title = decision_files.title);
            """);
        Count = Convert.ToInt32(Scalar("""
            SELECT (SELECT COUNT(*) FROM learning_rows) + (SELECT COUNT(*) FROM learning_files WHERE matched = 0)
                 + (SELECT COUNT(*) FROM heuristic_rows) + (SELECT COUNT(*) FROM heuristic_entries WHERE consumed = 0)
                 + (SELECT COUNT(*) FROM decision_rows) + (SELECT COUNT(*) FROM decision_files WHERE consumed = 0)
            """), CultureInfo.InvariantCulture);
        return skipped;
    }

    /// <summary>
    /// Every record, in <see cref="MemoryScanner.Scan"/>'s order: learnings (the rows' records, then files without a row),
    /// heuristics, decisions; read as the caller goes (one record's fields at a time, never the list).
    /// </summary>
    public IEnumerable<object> Records()
    {
        foreach (var learning in Read($"SELECT {LearningColumns} FROM learning_rows ORDER BY seq", ReadLearning)) yield return learning;
        foreach (var learning in Read($"SELECT {LearningColumns} FROM learning_files WHERE matched = 0 ORDER BY type_order, path COLLATE ORDINAL", ReadLearning))
            yield return learning;
        foreach (var heuristic in Read($"SELECT {HeuristicColumns} FROM heuristic_rows ORDER BY seq", ReadHeuristic)) yield return heuristic;
        foreach (var heuristic in Read($"SELECT {HeuristicColumns} FROM heuristic_entries WHERE consumed = 0 ORDER BY {(_heuristicRowsRead ? "first_seq, " : "")}seq", ReadHeuristic))
            yield return heuristic;
        foreach (var decision in Read($"SELECT {DecisionColumns} FROM decision_rows ORDER BY seq", ReadDecision)) yield return decision;
        foreach (var decision in Read($"SELECT {DecisionColumns} FROM decision_files WHERE consumed = 0 ORDER BY {(_decisionRowsRead ? "first_path COLLATE ORDINAL, " : "")}path COLLATE ORDINAL", ReadDecision))
            yield return decision;
    }

    private void AddLearningFile(LearningRecord record)
    {
        var order = 0;
        while (order < LearningTypes.All.Count && !record.RelativePath.StartsWith(LearningTypes.Folder(LearningTypes.All[order]), StringComparison.Ordinal)) order++;
        InsertLearning("learning_files", record, order);
    }

    /// <summary>The learnings file at <paramref name="path"/> that no row has taken yet, now taken; null when there is none.</summary>
    private LearningRecord? TakeLearningFile(string path)
    {
        LearningRecord? found;
        using (var reader = Reader($"SELECT {LearningColumns} FROM learning_files WHERE path = $p AND matched = 0", ("$p", path)))
            found = reader.Read() ? ReadLearning(reader) : null;
        if (found is not null) Execute("UPDATE learning_files SET matched = 1 WHERE path = $p", ("$p", path));
        return found;
    }

    /// <summary>The first decision file (by name) with <paramref name="title"/> that no row has taken yet, now taken.</summary>
    private DecisionRecord? TakeDecisionFile(string title)
    {
        DecisionRecord? found;
        using (var reader = Reader($"SELECT {DecisionColumns} FROM decision_files WHERE title = $t AND consumed = 0 ORDER BY path COLLATE ORDINAL LIMIT 1", ("$t", title)))
            found = reader.Read() ? ReadDecision(reader) : null;
        if (found is not null) Execute("UPDATE decision_files SET consumed = 1 WHERE path = $p", ("$p", found.RelativePath));
        return found;
    }

    private void InsertLearning(string table, LearningRecord r, int? typeOrder)
    {
        (string, object?)[] values =
        [
            ("$p", r.RelativePath), ("$t", r.Learning.Type), ("$ti", r.Learning.Title), ("$d", r.Learning.Domain), ("$s", r.Learning.Severity),
            ("$ta", r.Learning.Tags), ("$su", r.Learning.Summary), ("$sr", r.SummaryInRow), ("$c", r.Content), ("$cr", r.CreatedAt), ("$u", r.UpdatedAt),
        ];
        if (typeOrder is { } order)
            Execute($"INSERT INTO {table} (type_order, {LearningColumns}) VALUES ($o, $p, $t, $ti, $d, $s, $ta, $su, $sr, $c, $cr, $u)", [("$o", order), .. values]);
        else Execute($"INSERT INTO {table} ({LearningColumns}) VALUES ($p, $t, $ti, $d, $s, $ta, $su, $sr, $c, $cr, $u)", values);
    }

    private static LearningRecord ReadLearning(SqliteDataReader r) => new(r.GetString(0),
        new ValidatedLearning(r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.GetString(6)) { Type = r.GetString(1) },
        Text(r, 7), r.GetString(8), Text(r, 9), Text(r, 10));

    private void InsertHeuristic(string table, HeuristicRecord h) => Execute(
        $"INSERT INTO {table} ({HeuristicColumns}) VALUES ($i, $d, $r, $e, $s, $c, $si, $tv, $tx, $g, $cr, $u, $et)",
        ("$i", h.Id), ("$d", h.Heuristic.Domain), ("$r", h.Heuristic.Rule), ("$e", h.Heuristic.Explanation), ("$s", h.Heuristic.Source),
        ("$c", h.Heuristic.Confidence), ("$si", h.SourceId), ("$tv", h.TimesValidated), ("$tx", h.TimesViolated), ("$g", h.IsGolden),
        ("$cr", h.CreatedAt), ("$u", h.UpdatedAt), ("$et", h.EntryText));

    private static HeuristicRecord ReadHeuristic(SqliteDataReader r) => new(Long(r, 0),
        new ValidatedHeuristic(r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetDouble(5)),
        Long(r, 6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), Text(r, 10), Text(r, 11), Text(r, 12));

    private void InsertDecision(string table, DecisionRecord d) => Execute(
        $"INSERT INTO {table} ({DecisionColumns}) VALUES ($i, $p, $ti, $cx, $de, $ra, $op, $dm, $f, $te, $c, $st, $cr, $u)",
        ("$i", d.Id), ("$p", d.RelativePath), ("$ti", d.Decision.Title), ("$cx", d.Decision.Context), ("$de", d.Decision.Decision),
        ("$ra", d.Decision.Rationale), ("$op", d.Decision.Options), ("$dm", d.Decision.Domain), ("$f", d.Decision.Files), ("$te", d.Decision.Tests),
        ("$c", d.Content), ("$st", d.Status), ("$cr", d.CreatedAt), ("$u", d.UpdatedAt));

    private static DecisionRecord ReadDecision(SqliteDataReader r) => new(Long(r, 0), Text(r, 1),
        new ValidatedDecision(r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8), r.GetString(9)),
        Text(r, 10), r.GetString(11), Text(r, 12), Text(r, 13));

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static long? Long(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);

    private IEnumerable<T> Read<T>(string sql, Func<SqliteDataReader, T> read)
    {
        using var command = Command(sql);
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return read(reader);
    }

    public void Dispose() => _session.Dispose();

    private SqliteCommand Command(string sql) => _session.Command(sql);

    private int Execute(string sql, params (string Name, object? Value)[] parameters) => _session.Execute(sql, parameters);

    private object? Scalar(string sql, params (string Name, object? Value)[] parameters) => _session.Scalar(sql, parameters);

    private SqliteDataReader Reader(string sql, params (string Name, object? Value)[] parameters) => _session.Reader(sql, parameters);
}
