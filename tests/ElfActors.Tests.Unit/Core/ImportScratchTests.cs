using ElfActors.Core.Import;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// Import reads a memory into a scratch database (docs/adr/0055): it must give the records and notes a scan into lists
/// (<see cref="MemoryScanner.Scan"/> without texts) gives, in the same order, whichever of the index's tables the memory has.
/// </summary>
public sealed class ImportScratchTests : IDisposable
{
    private readonly TempMemory _source = new();
    private readonly TempMemory _target = new();

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_source.BasePath, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string Learning(string title, string date) =>
        $"# {title}\n\n**Domain**: d\n**Severity**: 2\n**Tags**: t\n**Date**: {date}\n\n## Summary\n\n{title} first\n{title} second\n";

    private static string Heuristic(int id, string rule) =>
        $"## H-{id}: {rule}\n\n**Confidence**: 0.{id}\n**Source**: failure\n**Created**: 2025-02-0{id}\n\nwhy {id}\n\n---\n\n";

    private static string Decision(int id, string title) =>
        $"# ADR-{id}: {title}\n\n**Date**: 2025-03-0{id}\n**Domain**: arch\n**Status**: Accepted\n\n---\n\n## Context\n\nc{id}\n\n## Decision\n\nd{id}\n\n## Rationale\n\nr{id}\n";

    [Theory]
    [InlineData("none")]
    [InlineData("learnings")]
    [InlineData("all")]
    public void The_scratch_gives_the_records_and_notes_of_a_scan_into_lists_in_its_order(string tables)
    {
        // Files written out of their names' order; upper case, non-ASCII, duplicates of a path, a heuristic and a decision title.
        foreach (var (name, date) in new[] { ("zeta", "2025-01-05"), ("Alpha", "2025-01-01"), ("äther", "2025-01-03"), ("beta", "2025-01-02") })
            Write($"memory/failures/2025_{name}.md", Learning(name, date));
        Write("memory/failures/no-heading.md", "none\n");
        Write("memory/successes/2025_s.md", Learning("s", "2025-01-04"));
        Write("memory/observations/2025_o.md", Learning("o", "2025-01-04"));
        Write("memory/heuristics/ops.md", "# Heuristics: ops\n\n---\n\n" + Heuristic(4, "Rule D"));
        Write("memory/heuristics/ci.md", "# Heuristics: ci\n\n---\n\n" + Heuristic(1, "Rule A") + Heuristic(2, "Rule C") + Heuristic(3, "Rule A"));
        Write("memory/decisions/3-two.md", Decision(3, "Same"));
        Write("memory/decisions/1-one.md", Decision(1, "Same"));
        Write("memory/decisions/2-other.md", Decision(2, "Other"));
        Write("memory/decisions/0-bad.md", "no heading\n");
        var sql = tables == "none" ? null : """
            CREATE TABLE learnings (id INTEGER PRIMARY KEY, type TEXT, filepath TEXT, title TEXT, summary TEXT, tags TEXT, domain TEXT, severity INTEGER, created_at TEXT, updated_at TEXT);
            INSERT INTO learnings VALUES (1, 'failure', 'memory/failures/2025_beta.md', 'Beta row', 'b', 't', 'd', 4, '2025-01-02 08:00:00', NULL);
            INSERT INTO learnings VALUES (2, 'failure', 'memory/failures/gone.md', 'Gone', 'g', '', 'g', 2, '2025-01-09 08:00:00', NULL);
            INSERT INTO learnings VALUES (3, 'failure', 'memory/failures/2025_beta.md', 'Beta twice', 'b2', 't', 'd', 9, '2025-01-02 09:00:00', NULL);
            """ + (tables == "all" ? """
            CREATE TABLE heuristics (id INTEGER PRIMARY KEY, domain TEXT, rule TEXT, explanation TEXT, source_type TEXT, source_id INTEGER,
                confidence REAL, times_validated INTEGER, times_violated INTEGER, is_golden INTEGER, created_at TEXT, updated_at TEXT);
            INSERT INTO heuristics VALUES (1, 'ci', 'Rule A', 'row', 'failure', NULL, 0.3, 2, 0, 0, '2025-02-01 08:00:00', NULL);
            INSERT INTO heuristics VALUES (2, 'Ops!', 'Rule Z', 'row only', '', 5, 7, 0, 0, 1, NULL, NULL);
            CREATE TABLE decisions (id INTEGER PRIMARY KEY, title TEXT, context TEXT, options_considered TEXT, decision TEXT, rationale TEXT,
                domain TEXT, files_touched TEXT, tests_added TEXT, status TEXT, created_at TEXT, updated_at TEXT);
            INSERT INTO decisions VALUES (1, 'Same', 'c', NULL, 'd', 'r', NULL, NULL, NULL, 'proposed', '2025-03-01 08:00:00', NULL);
            INSERT INTO decisions VALUES (2, 'Row only', 'c', 'o', 'd', 'r', 'arch', 'f', 't', NULL, NULL, NULL);
            """ : "");
        if (sql is not null)
        {
            var (code, _, stderr) = Tools.Run("sqlite3", _source.BasePath, _source.DatabasePath, sql);
            Assert.True(code == 0, stderr);
        }
        var lists = MemoryScanner.Scan(_source.Paths, includeDatabase: true, keepContent: false);
        var expected = lists.Learnings.Cast<object>().Concat(lists.Heuristics).Concat(lists.Decisions).ToList();

        using var scratch = ImportScratch.Create(_target.Paths);
        var notes = scratch.Scan(_source.Paths);

        Assert.Equal(expected, scratch.Records().ToList());
        Assert.Equal(expected.Count, scratch.Count);
        Assert.Equal(lists.Skipped, notes);
        Assert.True(File.Exists(_target.DatabasePath + "-import-scratch"));
        scratch.Dispose();
        Assert.False(File.Exists(_target.DatabasePath + "-import-scratch"));
    }

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
    }
}
