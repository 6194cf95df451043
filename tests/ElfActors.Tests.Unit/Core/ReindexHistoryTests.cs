using ElfActors.Core.Import;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// Reindex in bounded memory (docs/adr/0051): what it learns from the files and history lives in a scratch database
/// beside the index while it runs, and is gone after. The ids integer trailers give (ELF's and older ElfActors' commits,
/// several records with the same title in one commit) and the times commits give still land on the same files, read back
/// with sqlite3 and git, not through the code under test.
/// </summary>
public sealed class ReindexHistoryTests : IDisposable
{
    private readonly TempMemory _memory = new();

    private void Write(string name, string title, string date) =>
        File.WriteAllText(Path.Combine(_memory.FailuresDirectory, name),
            $"# {title}\n\n**Domain**: d\n**Severity**: 3\n**Tags**: t\n**Date**: {date}\n\n## Summary\n\n{title} {name}\n");

    private void Commit(string message, string time)
    {
        Tools.Git(_memory.BasePath, "add", "memory/failures");
        Tools.Git(_memory.BasePath, "-c", "user.name=P", "-c", "user.email=p@x", "commit", "-q", "--date", time, "-m", message);
    }

    [Fact]
    public void Integer_ids_pair_with_same_titled_files_in_order_keyed_files_number_after_them_and_no_scratch_database_is_left()
    {
        Tools.Git(_memory.BasePath, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(_memory.BasePath, ".gitignore"), "memory/index.db*\n");
        Directory.CreateDirectory(_memory.FailuresDirectory);
        // One commit of three records: two titled "Same". Ids go to the added files in order of (name length, name).
        Write("a.md", "Same", "2026-12-01");
        Write("bb.md", "Same", "2026-12-01");
        Write("c.md", "Other", "2026-12-01");
        Commit("elf: record 3 failures\n\nfailure: Same (Domain: d | Severity: 3)\nfailure: Other (Domain: d | Severity: 3)\n"
            + "failure: Same (Domain: d | Severity: 3)\n\nElf-Record: 5\nElf-Record: 9\nElf-Record: 7\n", "2026-12-01T10:00:00Z");
        const string key = "0190d6a6-0000-7000-8000-00000000000d";
        Write("d.md", "Keyed", "2026-12-02");
        Commit($"failure: Keyed\n\nDomain: d | Severity: 3\n\nElf-Record: {key} memory/failures/d.md\n", "2026-12-02T10:00:00Z");
        var keyedCommit = Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();
        Write("e.md", "Loose", "2026-12-03"); // never committed
        File.WriteAllText(Path.Combine(_memory.FailuresDirectory, "zz.md"), "no heading\n");

        var summary = Reindexer.Run(_memory.Paths, ElfActors.Actors.ElfSettings.Default.Index, replaceExisting: false, TimeProvider.System);

        Assert.Equal((5, 4), (summary.Learnings, summary.LearningIdsFromHistory));
        Assert.Contains("memory/failures/zz.md: no '# title' heading", summary.Notes);
        var rows = Tools.Sqlite(_memory.DatabasePath, "SELECT id, filepath, title, created_at FROM learnings ORDER BY id").Select(r => string.Join('|', r));
        Assert.Equal(
        [
            "5|memory/failures/a.md|Same|2026-12-01 10:00:00",
            "7|memory/failures/bb.md|Same|2026-12-01 10:00:00",
            "9|memory/failures/c.md|Other|2026-12-01 10:00:00",
            "10|memory/failures/d.md|Keyed|2026-12-02 10:00:00",
            "11|memory/failures/e.md|Loose|2026-12-03 00:00:00",
        ], rows);
        var outbox = Assert.Single(Tools.Sqlite(_memory.DatabasePath, "SELECT row_id, record_key, commit_id, relpath FROM elf_outbox"));
        Assert.Equal(["10", key, keyedCommit, "memory/failures/d.md"], outbox);
        Assert.False(File.Exists(_memory.DatabasePath + "-reindex-scratch"));
        Assert.Equal(["index.db"], Directory.GetFiles(_memory.Paths.MemoryDirectory, "index.db*").Select(Path.GetFileName).Where(f => f != "index.db-wal" && f != "index.db-shm"));
    }

    public void Dispose() => _memory.Dispose();
}
