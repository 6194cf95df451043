using ElfActors.Actors;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

public sealed class MemoryIndexTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 11, 28);
    private readonly TempMemory _memory = new();

    private static RecordInsert Insert(string requestId, string title, string summary = "summary\nmore")
    {
        LearningValidator.Validate(new LearningInput(title, "domain", "high", "x,y", summary), out var failure);
        return new RecordInsert(requestId, new LearningDraft(failure!, Day));
    }

    [Fact]
    public void A_new_index_and_its_wal_are_the_users_alone_whatever_the_umask()
    {
        // The test process's umask (typically 022) would leave them 0644 without the explicit mode.
        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
            Assert.Equal("600", Tools.Run("stat", "/", "-c", "%a", _memory.DatabasePath, _memory.DatabasePath + "-wal").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Single());
    }

    [Fact]
    public void An_index_that_checkpoints_only_when_asked_keeps_its_commits_in_the_wal_until_it_is_asked()
    {
        // Synchronous off: the test is about where the pages are, not about their fsync.
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index with { Synchronous = SynchronousMode.Off });
        index.CheckpointOnlyWhenAsked();
        Assert.Equal(0, index.AutoCheckpointPages);
        // One record per transaction, as records arrive one by one: past SQLite's 1,000 WAL pages, at which one of
        // these commits would have copied them into the main file.
        for (var i = 0; i < 150; i++) index.InsertRecords([Insert($"r{i}", $"Record {i}")], DateTimeOffset.UtcNow);
        Assert.Equal(0, RowsInTheMainFileAlone());

        var (frames, copied) = index.Checkpoint();
        Assert.True(frames > 1000, $"{frames} WAL frames: too few to have crossed SQLite's own checkpoint");
        Assert.Equal(frames, copied);
        Assert.Equal(150, RowsInTheMainFileAlone());
    }

    /// <summary>The learnings in memory/index.db itself, not its WAL: read by sqlite3 as an immutable file.</summary>
    private long RowsInTheMainFileAlone() => RowsInMainFile(_memory.DatabasePath);

    internal static long RowsInMainFile(string database)
    {
        var (code, stdout, stderr) = Tools.Run("sqlite3", "/", "-readonly", "-batch", "-noheader",
            new Uri(database).AbsoluteUri + "?immutable=1", "SELECT COUNT(*) FROM learnings");
        Assert.True(code == 0, stderr);
        return long.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Stores_an_elf_learnings_row_exactly_as_elf_does()
    {
        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
            index.InsertRecords([Insert("r1", "Lock timeout")], DateTimeOffset.UtcNow);

        var row = Tools.Sqlite(_memory.DatabasePath,
            "SELECT type, filepath, title, summary, tags, domain, severity, created_at IS NOT NULL, updated_at IS NOT NULL FROM learnings").Single();
        Assert.Equal(["failure", "memory/failures/20261128_lock-timeout.md", "Lock timeout", "summary", "x,y", "domain", "4", "1", "1"], row);
    }

    [Fact]
    public void Uses_wal_and_the_configured_synchronous_mode()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index with { Synchronous = SynchronousMode.Normal });
        Assert.Equal("wal", Tools.Sqlite(_memory.DatabasePath, "PRAGMA journal_mode").Single()[0]);
    }

    [Fact]
    public void Marks_stored_without_an_fsync_leave_the_connection_fsyncing_the_next_records_whether_they_were_stored_or_not()
    {
        // The marks' transaction runs at synchronous = NORMAL (no WAL fsync, docs/adr/0073); every record's transaction after
        // it must be FULL again (2), or records would be acknowledged before their row is on disk (invariant 1).
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index with { BusyTimeout = TimeSpan.FromMilliseconds(200) });
        Assert.Equal(2, index.SynchronousLevel);
        index.InsertRecords([Insert("r1", "First"), Insert("r2", "Second")], DateTimeOffset.UtcNow);
        var pending = index.ReadPending(10);

        index.MarkEntriesCommittedWithoutSync([pending[0].OutboxId], "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UtcNow);
        Assert.Equal(2, index.SynchronousLevel);
        Assert.Equal(1, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NOT NULL"));

        // A marks' transaction that fails (another connection holds the write lock past the busy timeout) leaves it FULL too.
        using (var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_memory.DatabasePath};Pooling=False"))
        {
            other.Open();
            using var hold = other.BeginTransaction(deferred: false);
            Assert.ThrowsAny<Microsoft.Data.Sqlite.SqliteException>(() =>
                index.MarkEntriesCommittedWithoutSync([pending[1].OutboxId], "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UtcNow));
        }
        Assert.Equal(2, index.SynchronousLevel);
        Assert.Equal(1, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NOT NULL"));
    }

    [Fact]
    public void Marks_stored_without_an_fsync_on_an_index_configured_not_to_fsync_leave_it_as_configured()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index with { Synchronous = SynchronousMode.Off });
        index.InsertRecords([Insert("r1", "First")], DateTimeOffset.UtcNow);
        index.MarkEntriesCommittedWithoutSync([index.ReadPending(10)[0].OutboxId], "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UtcNow);
        Assert.Equal(0, index.SynchronousLevel);
    }

    [Fact]
    public void Same_titles_get_suffixed_names_and_names_taken_on_disk_are_skipped()
    {
        Directory.CreateDirectory(_memory.FailuresDirectory);
        File.WriteAllText(Path.Combine(_memory.FailuresDirectory, "20261128_dup.md"), "written by ELF itself");
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);

        var outcomes = index.InsertRecords([Insert("a", "Dup"), Insert("b", "Dup"), Insert("c", "Dup")], DateTimeOffset.UtcNow);

        Assert.Equal(
            ["memory/failures/20261128_dup-2.md", "memory/failures/20261128_dup-3.md", "memory/failures/20261128_dup-4.md"],
            outcomes.Cast<InsertOutcome.Inserted>().Select(o => o.RelativePath));
    }

    [Fact]
    public void Many_same_titles_across_batches_get_distinct_names_and_a_file_written_meanwhile_is_still_skipped()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        var first = index.InsertRecords(Enumerable.Range(0, 1500).Select(i => Insert($"a{i}", "Repeat")).ToList(), DateTimeOffset.UtcNow);
        // A person (or ELF) writes the next free name between two batches: the remembered start must not hand it out.
        Directory.CreateDirectory(_memory.FailuresDirectory);
        File.WriteAllText(Path.Combine(_memory.FailuresDirectory, "20261128_repeat-1501.md"), "someone else's");
        var second = index.InsertRecords(Enumerable.Range(0, 1500).Select(i => Insert($"b{i}", "Repeat")).ToList(), DateTimeOffset.UtcNow);

        var names = first.Concat(second).Cast<InsertOutcome.Inserted>().Select(o => o.RelativePath).ToList();
        Assert.Equal(3000, names.Distinct().Count());
        Assert.DoesNotContain("memory/failures/20261128_repeat-1501.md", names);
        Assert.Equal("memory/failures/20261128_repeat-1502.md", names[1500]);
        Assert.Equal(3000, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(DISTINCT filepath) FROM learnings"));
    }

    [Fact]
    public void A_known_request_id_returns_the_first_record_and_stores_nothing()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        var first = (InsertOutcome.Inserted)index.InsertRecords([Insert("same", "First")], DateTimeOffset.UtcNow)[0];

        var again = index.InsertRecords([Insert("same", "Second"), Insert("same", "Third")], DateTimeOffset.UtcNow);

        Assert.All(again, outcome =>
        {
            var duplicate = Assert.IsType<InsertOutcome.Duplicate>(outcome);
            Assert.Equal(first.RecordId, duplicate.RecordId);
            Assert.Contains("# First", duplicate.Content);
        });
        Assert.Equal(1, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
    }

    [Fact]
    public void One_bad_record_fails_alone_and_its_neighbours_are_stored()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        // A severity outside 1..5 is stopped by ELF's CHECK and trigger: that record only.
        var bad = Insert("bad", "Bad") with { Draft = new LearningDraft(new ValidatedLearning("Bad", "d", 9, "", "s"), Day) };

        var outcomes = index.InsertRecords([Insert("ok1", "Ok one"), bad, Insert("ok2", "Ok two")], DateTimeOffset.UtcNow);

        Assert.IsType<InsertOutcome.Inserted>(outcomes[0]);
        Assert.IsType<InsertOutcome.Failed>(outcomes[1]);
        Assert.IsType<InsertOutcome.Inserted>(outcomes[2]);
        Assert.Equal(["Ok one", "Ok two"], Tools.Sqlite(_memory.DatabasePath, "SELECT title FROM learnings ORDER BY id").Select(r => r[0]));
        Assert.Equal(2, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox"));
    }

    [Fact]
    public void Deleting_a_record_removes_row_and_outbox_entry_together()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        var inserted = (InsertOutcome.Inserted)index.InsertRecords([Insert("r", "Gone")], DateTimeOffset.UtcNow)[0];
        index.DeleteRecords(OutboxTables.Learnings, [inserted.RecordId]);
        Assert.Equal(0, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(0, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox"));
    }

    [Fact]
    public void Pending_records_but_those_whose_marks_are_on_their_way_are_the_oldest_others_whichever_rows_are_skipped()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        index.InsertRecords(Enumerable.Range(0, 8).Select(i => Insert("r" + i, "R" + i)).ToArray(), DateTimeOffset.UtcNow);
        var all = index.ReadPending(100);
        long[] ids = [.. all.Select(p => p.OutboxId)];

        // The usual case: the oldest rows skipped (the batch just committed); only the rows after them are read.
        Assert.Equal(ids[3..6], index.ReadPending(3, new HashSet<long>(ids[..3])).Select(p => p.OutboxId));
        // A row older than a skipped one still pending (its file was not in place): it comes first, as before.
        Assert.Equal([ids[0], ids[3], ids[4]], index.ReadPending(3, new HashSet<long>(ids[1..3])).Select(p => p.OutboxId));
        Assert.Equal(ids[..2], index.ReadPending(2, new HashSet<long>()).Select(p => p.OutboxId));
        // Skipped rows marked meanwhile, or ids of no row: nothing else changes.
        index.MarkEntriesCommitted([ids[0]], "abc", DateTimeOffset.UtcNow);
        Assert.Equal(ids[2..8], index.ReadPending(100, new HashSet<long>([ids[0], ids[1], 999_999])).Select(p => p.OutboxId));
        Assert.Equal(all[5], index.ReadPending(1, new HashSet<long>(ids[..5])).Single());
    }

    [Fact]
    public void Pending_records_are_marked_committed_once()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        index.InsertRecords([Insert("a", "A"), Insert("b", "B")], DateTimeOffset.UtcNow);
        var pending = index.ReadPending(10);
        Assert.Equal(2, pending.Count);
        Assert.Equal("failure: A", pending[0].Subject);
        Assert.Equal("Domain: domain | Severity: 4", pending[0].Detail);

        index.MarkEntriesCommitted([pending[0].OutboxId], "abc", DateTimeOffset.UtcNow);
        index.MarkEntriesCommitted([pending[0].OutboxId], "def", DateTimeOffset.UtcNow); // a second mark changes nothing

        Assert.Equal(1, index.CountPending());
        Assert.Equal("abc", Tools.Sqlite(_memory.DatabasePath, $"SELECT commit_id FROM elf_outbox WHERE row_id = {pending[0].RecordId}").Single()[0]);
    }

    [Fact]
    public void Status_counts_and_the_newest_commit_come_from_indexes_not_from_every_entry()
    {
        var start = DateTimeOffset.UtcNow;
        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
        {
            index.InsertRecords([Insert("a", "A"), Insert("b", "B"), Insert("c", "C"), Insert("d", "D")], start);
            var pending = index.ReadPending(10);
            // The newest commit holds an older entry (a record committed again after a person's reset): by time, not by id.
            index.MarkEntriesCommitted([pending[2].OutboxId], "first", start.AddSeconds(1));
            index.MarkEntriesCommitted([pending[0].OutboxId], "second", start.AddSeconds(2));
        }

        var counts = ElfActors.Core.Storage.OutboxQueries.Counts(_memory.Paths);

        Assert.Equal((2L, 2L, "second"), (counts.Pending, counts.Committed, counts.LastCommitId));
        Assert.Equal(start.AddSeconds(2), counts.LastCommitAt);
        // SQLite's own plans: neither reads the table (every record's text) row by row.
        var plans = string.Join("\n", Tools.Sqlite(_memory.DatabasePath,
                "EXPLAIN QUERY PLAN SELECT commit_id, committed_at FROM elf_outbox WHERE commit_id IS NOT NULL ORDER BY committed_at DESC LIMIT 1")
            .Concat(Tools.Sqlite(_memory.DatabasePath, "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"))
            .Select(r => string.Join('|', r)));
        Assert.Contains("USING INDEX elf_outbox_committed", plans);
        Assert.Contains("elf_outbox_pending", plans);
    }

    [Fact]
    public void An_existing_elf_database_is_used_as_it_is_and_only_elfactors_tables_are_added()
    {
        Directory.CreateDirectory(_memory.Paths.MemoryDirectory);
        // ELF's own statements (templates/init_db.sql) for learnings and heuristics, plus a record ELF wrote.
        var (code, _, stderr) = Tools.Run("sqlite3", _memory.BasePath, _memory.DatabasePath, """
            CREATE TABLE learnings (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                type TEXT NOT NULL CHECK(type IN ('failure', 'success', 'heuristic', 'experiment', 'observation')),
                filepath TEXT NOT NULL, title TEXT NOT NULL, summary TEXT, tags TEXT, domain TEXT,
                severity INTEGER DEFAULT 3 CHECK(severity >= 1 AND severity <= 5),
                created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
            CREATE TABLE heuristics (id INTEGER PRIMARY KEY AUTOINCREMENT, domain TEXT NOT NULL, rule TEXT NOT NULL);
            INSERT INTO learnings(type, filepath, title, domain, severity) VALUES ('failure', 'memory/failures/old.md', 'Old', 'elf', 2);
            """);
        Assert.True(code == 0, stderr);

        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
        {
            Assert.Equal(3, index.SchemaVersion);
            index.InsertRecords([Insert("new", "New")], DateTimeOffset.UtcNow);
        }
        using (MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index)) { } // opening again migrates nothing

        Assert.Equal(["Old", "New"], Tools.Sqlite(_memory.DatabasePath, "SELECT title FROM learnings ORDER BY id").Select(r => r[0]));
        Assert.Equal(3, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM elf_migrations"));
        var tables = Tools.Sqlite(_memory.DatabasePath, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").Select(r => r[0]);
        // ELF's heuristics table is kept as ELF made it (three columns here, and none of the indexes or triggers that
        // name columns it lacks); ELF's tables that are absent are added (docs/adr/0020), and elf's own beside them.
        string[] expected = ["decisions", "elf_migrations", "elf_outbox", "elf_state", "heuristics", "learnings", "metrics", "trails"];
        Assert.Equal(expected, tables.Intersect(expected));
        Assert.Equal(3, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM pragma_table_info('heuristics')"));
        Assert.Equal(0, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'heuristics' AND type <> 'table'"));
        Assert.Equal(1, Tools.SqliteScalar(_memory.DatabasePath, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'idx_learnings_domain'"));
    }

    [Fact]
    public void A_new_database_has_elfs_learnings_schema_indexes_and_triggers()
    {
        using (MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index)) { }
        var objects = Tools.Sqlite(_memory.DatabasePath,
            "SELECT name FROM sqlite_master WHERE tbl_name = 'learnings' AND type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_%' ORDER BY name").Select(r => r[0]);
        Assert.Equal(["idx_learnings_created_at", "idx_learnings_domain", "idx_learnings_domain_created", "idx_learnings_tags",
            "idx_learnings_type", "learnings_validate_insert", "learnings_validate_update"], objects);
        var columns = Tools.Sqlite(_memory.DatabasePath, "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info('learnings')")
            .Select(r => string.Join(' ', r));
        Assert.Equal(["id INTEGER 0 ", "type TEXT 1 ", "filepath TEXT 1 ", "title TEXT 1 ", "summary TEXT 0 ", "tags TEXT 0 ",
            "domain TEXT 0 ", "severity INTEGER 0 3", "created_at DATETIME 0 CURRENT_TIMESTAMP", "updated_at DATETIME 0 CURRENT_TIMESTAMP"], columns);
    }

    [Fact]
    public void Bootstrap_places_files_for_rows_a_crash_left_without_one_and_removes_temp_files()
    {
        MemoryBootstrap.Prepare(_memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);
        InsertOutcome.Inserted inserted;
        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
            inserted = (InsertOutcome.Inserted)index.InsertRecords([Insert("r", "Crashed")], DateTimeOffset.UtcNow)[0];
        var abandonedTemp = Path.Combine(_memory.FailuresDirectory, ".elf-abandoned.tmp");
        File.WriteAllText(abandonedTemp, "half");

        var report = MemoryBootstrap.Prepare(_memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);

        Assert.Equal(new BootstrapReport(1, 1, 1), report);
        Assert.StartsWith("# Crashed", File.ReadAllText(_memory.Paths.Absolute(inserted.RelativePath)));
        Assert.False(File.Exists(abandonedTemp));
    }

    [Fact]
    public void Bootstrap_rewrites_a_pending_record_file_a_power_loss_left_empty_or_zeroed_or_a_kill_cut_short_but_not_an_edited_one()
    {
        MemoryBootstrap.Prepare(_memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);
        InsertOutcome.Inserted empty, zeroed, edited, cut;
        var cutShort = Insert("c", "Cut short", summary: new string('x', 9000)); // written in more than one page
        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
        {
            var outcomes = index.InsertRecords([Insert("e", "Empty"), Insert("z", "Zeroed"), Insert("d", "Edited"), cutShort], DateTimeOffset.UtcNow);
            (empty, zeroed, edited, cut) = ((InsertOutcome.Inserted)outcomes[0], (InsertOutcome.Inserted)outcomes[1], (InsertOutcome.Inserted)outcomes[2], (InsertOutcome.Inserted)outcomes[3]);
        }
        File.WriteAllBytes(_memory.Paths.Absolute(empty.RelativePath), []);
        File.WriteAllBytes(_memory.Paths.Absolute(zeroed.RelativePath), new byte[4096]);
        File.WriteAllText(_memory.Paths.Absolute(edited.RelativePath), "# Edited\n\nThe agent filled in what happened.\n");
        // A recorder killed in the middle of its write: the first page of the file, nothing after it.
        File.WriteAllBytes(_memory.Paths.Absolute(cut.RelativePath), System.Text.Encoding.UTF8.GetBytes(cutShort.Draft.Render(0))[..4096]);

        var report = MemoryBootstrap.Prepare(_memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);

        Assert.Equal(3, report.RestoredFiles);
        Assert.StartsWith("# Empty", File.ReadAllText(_memory.Paths.Absolute(empty.RelativePath)));
        Assert.StartsWith("# Zeroed", File.ReadAllText(_memory.Paths.Absolute(zeroed.RelativePath)));
        Assert.Contains("The agent filled in", File.ReadAllText(_memory.Paths.Absolute(edited.RelativePath)));
        Assert.Equal(cutShort.Draft.Render(0), File.ReadAllText(_memory.Paths.Absolute(cut.RelativePath)));
    }

    public void Dispose() => _memory.Dispose();
}
