using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ElfActors.Actors;
using ElfActors.Core.Import;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// What `elf import` leaves, pinned: the rows (sqlite3), the outbox, the files and the commits with their trailers
/// (`git log`) of an import of a small memory with every case the scan merges (rows with and without files, files
/// without rows, two rows naming one file, duplicate heuristics and decision titles, files without a heading, ELF's
/// other tables), compared with a dump written by the import as it was before it read through a scratch database
/// (docs/adr/0055). Record keys and object ids are numbered in the order they first appear, so the dump is the same on
/// every run while it still says which commit holds which entry.
/// </summary>
public sealed partial class ImportResultTests : IDisposable
{
    private readonly TempMemory _source = new();
    private readonly TempMemory _target = new();
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_source.BasePath, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string Learning(string title, string domain, int severity, string date, string summary) =>
        $"# {title}\n\n**Domain**: {domain}\n**Severity**: {severity}\n**Tags**: t\n**Date**: {date}\n\n## Summary\n\n{summary}\n\n## What Happened\n\n{title} happened.\n";

    private static string Heuristic(int id, string rule, string confidence) =>
        $"## H-{id}: {rule}\n\n**Confidence**: {confidence}\n**Source**: failure\n**Created**: 2025-02-0{id}\n\nwhy {id}\n\n---\n\n";

    private static string Decision(int id, string title, string day) =>
        $"# ADR-{id}: {title}\n\n**Date**: 2025-03-{day}\n**Domain**: arch\n**Status**: Accepted\n\n---\n\n## Context\n\ncontext {id}\n\n## Decision\n\nchosen {id}\n\n## Rationale\n\nbecause {id}\n\n---\n\n**ID**: ADR-{id}\n**Created**: 2025-03-{day}\n";

    private void BuildSource()
    {
        Write("memory/failures/20250101_a.md", Learning("A", "d", 2, "2025-01-01", "a first\na second"));
        Write("memory/failures/20250102_b.md", Learning("B", "d", 3, "2025-01-02", "b"));
        Write("memory/failures/20250103_c.md", Learning("C file only", "d", 4, "2025-01-03", "c"));
        Write("memory/failures/20250104_d.md", Learning("D", "d", 2, "2025-01-04", "d"));
        Write("memory/failures/20250100_e.md", Learning("E file only", "e", 1, "2025-01-01", "e"));
        Write("memory/failures/zz-no-heading.md", "no heading here\n");
        Write("memory/successes/20250105_s.md", Learning("S", "s", 2, "2025-01-05", "s"));
        Write("memory/observations/20250106_o.md", Learning("O", "o", 2, "2025-01-06", "o"));
        Write("memory/experiments/20250107_x.md", Learning("X file only", "x", 2, "2025-01-07", "x"));
        Write("memory/heuristics/ci.md", "# Heuristics: ci\n\n---\n\n" + Heuristic(1, "Rule A", "0.6") + Heuristic(2, "Rule C", "0.7") + Heuristic(3, "Rule A", "0.9"));
        Write("memory/heuristics/ops.md", "# Heuristics: ops\n\n---\n\n" + Heuristic(5, "Rule D", "0.5"));
        Write("memory/decisions/2025-03-01-one.md", Decision(1, "Same title", "01"));
        Write("memory/decisions/2025-03-02-other.md", Decision(2, "Other", "02"));
        Write("memory/decisions/2025-03-03-two.md", Decision(3, "Same title", "03"));
        Write("memory/decisions/2025-03-04-bad.md", "not a decision\n");

        var schema = Path.Combine(AppContext.BaseDirectory, "Fixtures", "elf-schema.sql");
        Assert.Equal(0, Tools.Run("sqlite3", _source.BasePath, _source.DatabasePath, ".read " + schema).ExitCode);
        var (code, _, stderr) = Tools.Run("sqlite3", _source.BasePath, _source.DatabasePath, $"""
            INSERT INTO learnings(type, filepath, title, summary, tags, domain, severity, created_at, updated_at) VALUES
                ('failure', 'memory/failures/20250101_a.md', 'A from the row', 'a first', 'rt', 'd', 5, '2025-01-01 08:00:00', '2025-01-01 09:00:00'),
                ('failure', '{_source.BasePath}/memory/failures/20250102_b.md', 'B', 'b', 't', 'd', 3, '2025-01-02 08:00:00', '2025-01-02 08:00:00'),
                ('failure', 'memory/failures/20250104_d.md', 'D', 'd', 't', 'd', 2, '2025-01-04 08:00:00', '2025-01-04 08:00:00'),
                ('failure', 'memory/failures/20250104_d.md', 'D again', 'd twice', 't', 'd', 2, '2025-01-04 10:00:00', '2025-01-04 10:00:00'),
                ('failure', 'memory/failures/gone.md', 'Gone', 'its row only', '', 'g', 2, '2025-01-08 08:00:00', '2025-01-08 08:00:00'),
                ('observation', 'memory/observations/20250106_o.md', 'O', 'o', 't', 'o', 2, '2025-01-06 08:00:00', '2025-01-06 08:00:00'),
                ('failure', 'elsewhere/x.md', 'Elsewhere', 'somewhere else', 't', 'g', NULL, '2025-01-09 08:00:00', '2025-01-09 08:00:00');
            INSERT INTO heuristics(domain, rule, explanation, source_type, confidence, times_validated, times_violated, is_golden, created_at, updated_at) VALUES
                ('ci', 'Rule A', 'why row', 'failure', 0.6, 3, 1, 0, '2025-02-01 08:00:00', '2025-02-02 08:00:00'),
                ('ops', 'Rule Z', 'row only', '', 0.4, 0, 0, 1, '2025-02-09 08:00:00', '2025-02-09 08:00:00');
            INSERT INTO decisions(title, context, decision, rationale, domain, status, created_at, updated_at) VALUES
                ('Same title', 'context 1', 'chosen 1', 'because 1', 'arch', 'accepted', '2025-03-01 08:00:00', '2025-03-01 08:00:00'),
                ('Row only', 'c', 'd', 'r', 'arch', 'proposed', '2025-03-09 08:00:00', '2025-03-09 08:00:00');
            INSERT INTO experiments(id, name, hypothesis, created_at, updated_at) VALUES (7, 'exp', 'h', '2025-04-01 08:00:00', '2025-04-01 08:00:00');
            INSERT INTO cycles(experiment_id, cycle_number, try_summary, created_at) VALUES (7, 1, 'tried', '2025-04-02 08:00:00');
            """);
        Assert.True(code == 0, stderr);
    }

    [Theory]
    [InlineData(MemoryImporter.RecordsStoredAtOnce)]
    [InlineData(3)] // a commit's 4 records stored in two windows
    public void An_import_leaves_the_rows_outbox_files_and_commits_it_left_before_it_read_through_a_scratch_database(int recordsStoredAtOnce)
    {
        BuildSource();
        var summary = MemoryImporter.Run(_source.Paths, _target.Paths, ElfSettings.Default.Index, flushFilesToDisk: false, batchSize: 4, new FixedClock(Now), null, recordsStoredAtOnce);
        var again = MemoryImporter.Run(_source.Paths, _target.Paths, ElfSettings.Default.Index, flushFilesToDisk: false, batchSize: 4, new FixedClock(Now), null, recordsStoredAtOnce);

        var dump = new StringBuilder();
        dump.Append(CultureInfo.InvariantCulture, $"summary: found {summary.Found}, learnings {summary.Learnings}, heuristics {summary.Heuristics}, decisions {summary.Decisions}, ")
            .Append(CultureInfo.InvariantCulture, $"already present {summary.AlreadyPresent}, commits {summary.Commits}\n");
        foreach (var note in summary.Notes) dump.Append("note: ").Append(note).Append('\n');
        foreach (var other in summary.Others) dump.Append("other: ").Append(other).Append('\n');
        dump.Append(CultureInfo.InvariantCulture, $"again: found {again.Found}, imported {again.Imported}, already present {again.AlreadyPresent}, commits {again.Commits}\n");
        foreach (var table in new[] { "learnings", "heuristics", "decisions", "experiments", "cycles" })
            foreach (var row in Tools.Sqlite(_target.DatabasePath, $"SELECT * FROM {table} ORDER BY id"))
                dump.Append(table).Append(": ").AppendJoin(" | ", row).Append('\n');
        foreach (var row in Tools.Sqlite(_target.DatabasePath,
                     "SELECT id, request_id, kind, row_table, row_id, relpath, content, subject, detail, enqueued_at, record_key, content_hash, commit_id, committed_at FROM elf_outbox ORDER BY id"))
            dump.Append("outbox: ").AppendJoin(" | ", row.Select((value, i) => i == 6 ? Sha(value) : value)).Append('\n');
        foreach (var file in Directory.EnumerateFiles(_target.BasePath, "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(_target.BasePath, f).Replace('\\', '/'))
                     .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal) && !f.StartsWith("memory/index.db", StringComparison.Ordinal) && !f.StartsWith("memory/.elf/", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
            dump.Append("file: ").Append(file).Append(' ').Append(Sha(File.ReadAllText(Path.Combine(_target.BasePath, file)))).Append('\n');
        dump.Append("git log:\n").Append(Tools.Git(_target.BasePath, "log", "--reverse", "--name-status", "--format=commit %H%n%B"));
        Assert.Empty(Tools.Git(_target.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
        Assert.False(File.Exists(_target.DatabasePath + "-import-scratch"));

        var actual = Normalised(dump.ToString());
        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Core", "ImportResult.expected.txt"));
        if (actual != expected) File.WriteAllText(Path.Combine(Path.GetTempPath(), "ImportResult.actual.txt"), actual); // to diff against the pinned one
        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// Record keys (GUIDs) and commit ids (they hold the time of the run) numbered in the order they first appear; the
    /// folders' temp names and today's date replaced. Request ids and content hashes stay as they are: a record imported
    /// before is known again by its request id.
    /// </summary>
    private string Normalised(string dump)
    {
        dump = dump.Replace(_source.BasePath, "<source>", StringComparison.Ordinal).Replace(_target.BasePath, "<target>", StringComparison.Ordinal)
            .Replace(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "<today>", StringComparison.Ordinal)
            .Replace(DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "<today>", StringComparison.Ordinal);
        var commits = Tools.Git(_target.BasePath, "rev-list", "--reverse", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < commits.Length; i++) dump = dump.Replace(commits[i], $"<commit {i + 1}>", StringComparison.Ordinal);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        return Guids().Replace(dump, m => keys.TryGetValue(m.Value, out var name) ? name : keys[m.Value] = $"<key {keys.Count + 1}>");
    }

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guids();

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
    }
}
