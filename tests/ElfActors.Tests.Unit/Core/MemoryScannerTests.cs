using ElfActors.Core.Import;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>Reading an ELF memory for import: a row and the file it names become one record.</summary>
public sealed class MemoryScannerTests : IDisposable
{
    private readonly TempMemory _source = new();

    private void Sql(string sql)
    {
        var (code, _, stderr) = Tools.Run("sqlite3", _source.BasePath, _source.DatabasePath, sql);
        Assert.True(code == 0, stderr);
    }

    [Theory]
    [InlineData("memory/failures/20250101_x.md")]
    [InlineData("/home/someone/.claude/emergent-learning/memory/failures/20250101_x.md")]
    public void A_row_and_its_file_are_one_record_with_the_rows_columns_and_the_files_whole_summary(string storedPath)
    {
        Directory.CreateDirectory(_source.FailuresDirectory);
        Directory.CreateDirectory(_source.Paths.HeuristicsDirectory);
        File.WriteAllText(Path.Combine(_source.FailuresDirectory, "20250101_x.md"),
            "# X\n\n**Domain**: d\n**Severity**: 2\n**Tags**: t\n**Date**: 2025-01-01\n\n## Summary\n\nfirst\nsecond\n\n## What Happened\n\n[…]\n");
        File.WriteAllText(Path.Combine(_source.Paths.HeuristicsDirectory, "d.md"),
            "# Heuristics: d\n\n---\n\n## H-3: Rule\n\n**Confidence**: 0.4\n**Source**: failure\n**Created**: 2025-01-01\n\nwhy\n\n---\n\n");
        Sql($"""
            CREATE TABLE learnings (id INTEGER PRIMARY KEY, type TEXT, filepath TEXT, title TEXT, summary TEXT, tags TEXT, domain TEXT, severity INTEGER, created_at TEXT, updated_at TEXT);
            CREATE TABLE heuristics (id INTEGER PRIMARY KEY, domain TEXT, rule TEXT, explanation TEXT, source_type TEXT, source_id INTEGER,
                confidence REAL, times_validated INTEGER, times_violated INTEGER, is_golden INTEGER, created_at TEXT, updated_at TEXT);
            INSERT INTO learnings VALUES (7, 'failure', '{storedPath}', 'X', 'first', 't', 'd', 4, '2025-01-01 09:30:00', '2025-01-01 09:30:00');
            INSERT INTO heuristics VALUES (3, 'd', 'Rule', 'why', 'failure', NULL, 0.4, 5, 1, 1, '2025-01-01 09:00:00', '2025-01-02 09:00:00');
            """);

        var contents = MemoryScanner.Scan(_source.Paths, includeDatabase: true);

        var learning = Assert.Single(contents.Learnings);
        Assert.Equal("memory/failures/20250101_x.md", learning.RelativePath);
        Assert.Equal((4, "first\nsecond", "first", "2025-01-01 09:30:00"), (learning.Learning.Severity, learning.Learning.Summary, learning.SummaryInRow, learning.CreatedAt));
        var heuristic = Assert.Single(contents.Heuristics);
        Assert.Equal((5L, 1L, 1L, "2025-01-01 09:00:00"), (heuristic.TimesValidated, heuristic.TimesViolated, heuristic.IsGolden, heuristic.CreatedAt));
        Assert.Empty(contents.Skipped);
    }

    [Fact]
    public void A_scan_for_reindex_keeps_no_files_text_and_only_the_summarys_first_line()
    {
        // Reindex stores rows only: the memory's text is not held in RAM (docs/adr/0035).
        Directory.CreateDirectory(_source.FailuresDirectory);
        var text = "# X\n\n**Domain**: d\n**Severity**: 2\n**Tags**: t\n**Date**: 2025-01-01\n\n## Summary\n\nfirst\nsecond\n\n## What Happened\n\n" + new string('w', 10_000) + "\n";
        File.WriteAllText(Path.Combine(_source.FailuresDirectory, "20250101_x.md"), text);

        var full = Assert.Single(MemoryScanner.Scan(_source.Paths, includeDatabase: false).Learnings);
        var lean = Assert.Single(MemoryScanner.Scan(_source.Paths, includeDatabase: false, keepContent: false).Learnings);

        Assert.Equal((text, "first\nsecond"), (full.Content, full.Learning.Summary));
        Assert.Equal((string.Empty, "first"), (lean.Content, lean.Learning.Summary));
        Assert.Equal(full with { Content = string.Empty, Learning = full.Learning with { Summary = "first" } }, lean);
    }

    [Fact]
    public void An_import_reads_each_text_again_when_its_batch_is_stored_and_gets_what_a_full_scan_gets()
    {
        // Import scans without texts and reads each file as its batch is stored (docs/adr/0040): the same records.
        Directory.CreateDirectory(_source.FailuresDirectory);
        File.WriteAllText(Path.Combine(_source.FailuresDirectory, "20250101_x.md"),
            "# X\n\n**Domain**: d\n**Severity**: 2\n**Tags**: t\n**Date**: 2025-01-01\n\n## Summary\n\nfirst\nsecond\n\n## What Happened\n\n[…]\n");
        File.WriteAllText(Path.Combine(_source.FailuresDirectory, "20250102_y.md"),
            "# Y\n\n**Domain**: e\n**Severity**: 3\n**Date**: 2025-01-02\n\n## Summary\n\nonly\n");
        File.WriteAllText(Path.Combine(_source.FailuresDirectory, "20250103_z.md"), "# Z\n\n## Summary\n\nz1\nz2\n");
        Sql("""
            CREATE TABLE learnings (id INTEGER PRIMARY KEY, type TEXT, filepath TEXT, title TEXT, summary TEXT, tags TEXT, domain TEXT, severity INTEGER, created_at TEXT, updated_at TEXT);
            INSERT INTO learnings VALUES (7, 'failure', 'memory/failures/20250101_x.md', 'X from the row', 'first', 't', 'd', 4, '2025-01-01 09:30:00', '2025-01-01 09:30:00');
            INSERT INTO learnings VALUES (8, 'failure', 'memory/failures/gone.md', 'Gone', 'its row only', '', 'g', 2, '2025-01-04 09:30:00', '2025-01-04 09:30:00');
            """);

        var full = MemoryScanner.Scan(_source.Paths, includeDatabase: true).Learnings;
        var lean = MemoryScanner.Scan(_source.Paths, includeDatabase: true, keepContent: false).Learnings;
        Assert.Equal(4, lean.Count);
        Assert.Equal(3, lean.Count(l => l.Content.Length == 0)); // the one rendered from its row has its text

        Assert.Equal(full, lean.Select(l => MemoryScanner.WithContent(_source.Paths, l)).ToList());

        // A file changed since the scan so that it no longer parses: rendered from what the scan kept.
        File.WriteAllText(Path.Combine(_source.FailuresDirectory, "20250103_z.md"), "no heading now\n");
        var z = MemoryScanner.WithContent(_source.Paths, lean.Single(l => l.RelativePath.EndsWith("_z.md", StringComparison.Ordinal)));
        Assert.StartsWith("# Z\n", z.Content);
    }

    public void Dispose() => _source.Dispose();
}
