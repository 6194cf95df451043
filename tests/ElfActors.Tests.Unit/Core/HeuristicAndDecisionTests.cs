using ElfActors.Actors;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Git;
using ElfActors.Core.Import;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>ELF's record-heuristic and record-decision rules, layouts and rows.</summary>
public sealed class HeuristicAndDecisionTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 11, 28);
    private readonly TempMemory _memory = new();

    private static ValidatedHeuristic Heuristic(string domain = "git", string rule = "Commit small", string? confidence = null,
        string? explanation = "because", string? source = null)
    {
        var errors = HeuristicValidator.Validate(new HeuristicInput(domain, rule, explanation, source, confidence), out var heuristic);
        Assert.Empty(errors);
        return heuristic!;
    }

    [Theory]
    [InlineData("Git Ops", "git-ops")]
    [InlineData("  -CI/CD- ", "cicd")]
    [InlineData("../../etc", "etc")]
    public void The_domain_becomes_elfs_file_safe_form(string domain, string expected) =>
        Assert.Equal(expected, Heuristic(domain: domain).Domain);

    [Theory]
    [InlineData(null, 0.5)]
    [InlineData("0", 0.0)]
    [InlineData("1", 1.0)]
    [InlineData("0.85", 0.85)]
    [InlineData("low", 0.3)]
    [InlineData("MEDIUM", 0.6)]
    [InlineData("high", 0.85)]
    public void Confidence_is_0_to_1_with_elfs_words_and_a_default_of_0_5(string? text, double expected) =>
        Assert.Equal(expected, Heuristic(confidence: text).Confidence);

    [Theory]
    [InlineData("domain", "", "rule")]
    [InlineData("domain", "///", "rule")]
    [InlineData("rule", "d", "")]
    [InlineData("confidence", "d", "r", "1.5")]
    [InlineData("confidence", "d", "r", "-0.1")]
    [InlineData("confidence", "d", "r", "sure")]
    public void Bad_input_is_rejected_naming_the_field(string field, string domain, string rule, string? confidence = null)
    {
        var errors = HeuristicValidator.Validate(new HeuristicInput(domain, rule, null, null, confidence), out var heuristic);
        Assert.Null(heuristic);
        Assert.Contains(errors, e => e.Field == field);
    }

    [Theory]
    [InlineData("rule", "Use <script>alert(1)</script>", "why")]
    [InlineData("explanation", "r", "see <iframe src=x>")]
    [InlineData("explanation", "r", "first\n## H-999: forged entry")]
    [InlineData("explanation", "r", "# Heuristics: forged title")]
    [InlineData("rule", "a\0b", "why")]
    public void Hostile_input_is_refused_as_for_failures(string field, string rule, string explanation)
    {
        var errors = HeuristicValidator.Validate(new HeuristicInput("d", rule, explanation), out var heuristic);
        Assert.Null(heuristic);
        Assert.Contains(errors, e => e.Field == field);
    }

    [Fact]
    public void Deeper_headings_and_ordinary_angle_brackets_are_kept()
    {
        Assert.Empty(HeuristicValidator.Validate(new HeuristicInput("d", "Prefer List<T>", "### Detail\nkeep it"), out _));
        Assert.Contains(DecisionValidator.Validate(new DecisionInput("T", "## Forged", "d", "r"), out _), e => e.Field == "context");
        Assert.Contains(DecisionValidator.Validate(new DecisionInput("T", "c", "d", "<svg onload=x>"), out _), e => e.Field == "rationale");
    }

    [Fact]
    public void Limits_are_elfs()
    {
        Assert.Contains(HeuristicValidator.Validate(new HeuristicInput("d", new string('r', 501)), out _), e => e.Field == "rule");
        Assert.Contains(HeuristicValidator.Validate(new HeuristicInput("d", "r", new string('e', 5001)), out _), e => e.Field == "explanation");
        Assert.Contains(HeuristicValidator.Validate(new HeuristicInput(new string('d', 101), "r"), out _), e => e.Field == "domain");
    }

    [Fact]
    public void Entries_are_rendered_as_elf_appends_them_and_read_back()
    {
        var heuristic = Heuristic(confidence: "0.8", source: "failure", explanation: "line one\nline two");
        var entry = HeuristicMarkdown.Entry(12, heuristic, Day);
        Assert.Equal("## H-12: Commit small\n\n**Confidence**: 0.8\n**Source**: failure\n**Created**: 2026-11-28\n\nline one\nline two\n\n---\n\n", entry);

        var file = HeuristicMarkdown.Append(null, "git", [entry, HeuristicMarkdown.Entry(13, Heuristic(rule: "Second", explanation: ""), Day)]);
        Assert.StartsWith("# Heuristics: git\n\nGenerated from failures, successes, and observations in the **git** domain.\n\n---\n\n## H-12", file);
        var parsed = HeuristicMarkdown.Parse(file);
        Assert.Equal([12L, 13L], parsed.Select(p => p.Id));
        Assert.Equal(("Commit small", 0.8, "failure", "line one\nline two"), (parsed[0].Rule, parsed[0].Confidence, parsed[0].Source, parsed[0].Explanation));
        Assert.Equal(("Second", 0.5, "observation", ""), (parsed[1].Rule, parsed[1].Confidence, parsed[1].Source, parsed[1].Explanation));
        Assert.Equal(Day, parsed[1].Created);
    }

    [Fact]
    public void Decisions_follow_elfs_adr_layout_and_read_back()
    {
        Assert.Empty(DecisionValidator.Validate(new DecisionInput("Use Akka.NET", "ctx\nmore", "actors", "one writer", "a or b", null, "a.cs, b.cs", "T1"), out var decision));
        Assert.Equal("general", decision!.Domain);
        Assert.Equal("2026-11-28-use-akkanet", DecisionMarkdown.FileStem(decision, Day));
        var text = DecisionMarkdown.Render(3, decision, Day);
        Assert.StartsWith("# ADR-3: Use Akka.NET\n\n**Date**: 2026-11-28\n**Domain**: general\n**Status**: Accepted\n\n---\n\n## Context\n\nctx\nmore\n\n## Options Considered\n\na or b\n\n## Decision\n\nactors\n", text);
        Assert.Contains("## Files Touched\n\n- a.cs\n- b.cs\n\n## Tests Added\n\n- T1\n\n## Consequences", text);
        Assert.EndsWith("**ID**: ADR-3\n**Created**: 2026-11-28\n", text);

        var parsed = DecisionMarkdown.Parse(text)!;
        Assert.Equal(3, parsed.Id);
        Assert.Equal(decision with { Files = "a.cs,b.cs" }, parsed.Decision);
    }

    [Theory]
    [InlineData("title")]
    [InlineData("context")]
    [InlineData("decision")]
    [InlineData("rationale")]
    public void A_decision_needs_elfs_four_fields(string missing)
    {
        string? Value(string field) => field == missing ? " " : field;
        var errors = DecisionValidator.Validate(new DecisionInput(Value("title"), Value("context"), Value("decision"), Value("rationale")), out _);
        Assert.Equal(missing, Assert.Single(errors).Field);
    }

    [Fact]
    public void Heuristics_rows_and_outbox_entries_share_their_domain_file_and_retries_return_the_first()
    {
        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        var outcomes = index.InsertRecords(
            [new("a", new HeuristicDraft(Heuristic(rule: "One"), Day)), new("b", new HeuristicDraft(Heuristic(rule: "Two"), Day)), new("a", new HeuristicDraft(Heuristic(rule: "Retry of one"), Day))], DateTimeOffset.UtcNow);

        var first = Assert.IsType<InsertOutcome.Inserted>(outcomes[0]);
        var second = Assert.IsType<InsertOutcome.Inserted>(outcomes[1]);
        var retry = Assert.IsType<InsertOutcome.Duplicate>(outcomes[2]);
        Assert.Equal("memory/heuristics/git.md", first.RelativePath);
        Assert.Equal(first.RelativePath, second.RelativePath);
        Assert.Equal((first.RecordId, first.Content), (retry.RecordId, retry.Content));
        Assert.StartsWith("## H-2: Two\n", second.Content);

        var pending = index.ReadPending(10);
        Assert.Equal([(OutboxTables.Heuristics, 1L), (OutboxTables.Heuristics, 2L)], pending.Select(p => (p.RowTable, p.RecordId)));
        Assert.All(pending, p => Assert.True(p.SharesFile && RecordKeys.IsKey(p.TrailerKey)));
        Assert.Equal($"heuristic: One\n\nDomain: git | Confidence: 0.5\n\nElf-Record: {pending[0].RecordKey} memory/heuristics/git.md\nElf-Entry: {pending[0].RecordKey} {RecordKeys.ContentHash(pending[0].Content)}\n",
            CommitMessage.For([pending[0]]));
        Assert.Equal([(pending[0].RecordKey!, RecordKeys.ContentHash(first.Content))], CommitMessage.EntryTrailers(CommitMessage.For([pending[0]])));
        index.MarkEntriesCommitted([pending[0].OutboxId], "abc", DateTimeOffset.UtcNow);
        Assert.Equal([pending[1].RecordKey], index.ReadPending(10).Select(p => p.TrailerKey));

        index.DeleteRecords(OutboxTables.Heuristics, [second.RecordId]);
        Assert.Equal(["One"], Tools.Sqlite(_memory.DatabasePath, "SELECT rule FROM heuristics").Select(r => r[0]));
        Assert.Empty(index.ReadPending(10));
    }

    [Fact]
    public void Trailer_keys_name_the_table_and_learnings_ids_stay_plain()
    {
        const string message = "elf: record 3 records\n\nx\n\nElf-Record: 4\nElf-Record: H-4\nElf-Record: ADR-4\n";
        Assert.Equal(["4", "H-4", "ADR-4"], CommitMessage.TrailerKeys(message));
        Assert.Equal([4L], CommitMessage.RecordIds(message));
    }

    [Fact]
    public void An_outbox_from_schema_1_keeps_its_pending_records_when_migrated()
    {
        Directory.CreateDirectory(_memory.Paths.MemoryDirectory);
        // A memory written by the previous version: schema 1 only, one pending failure.
        var (code, _, stderr) = Tools.Run("sqlite3", _memory.BasePath, _memory.DatabasePath, """
            CREATE TABLE elf_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
            INSERT INTO elf_migrations VALUES (1, 'v1', '2026-01-01');
            CREATE TABLE learnings (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, filepath TEXT NOT NULL, title TEXT NOT NULL,
                summary TEXT, tags TEXT, domain TEXT, severity INTEGER DEFAULT 3, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
            CREATE TABLE elf_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, row_table TEXT NOT NULL,
                row_id INTEGER NOT NULL, relpath TEXT NOT NULL UNIQUE, content TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL,
                enqueued_at TEXT NOT NULL, commit_id TEXT, committed_at TEXT, UNIQUE(row_table, row_id));
            INSERT INTO learnings(type, filepath, title) VALUES ('failure', 'memory/failures/x.md', 'X');
            INSERT INTO elf_outbox(request_id, kind, row_table, row_id, relpath, content, subject, detail, enqueued_at)
                VALUES ('r', 'failure', 'learnings', 1, 'memory/failures/x.md', '# X', 'failure: X', 'Domain: d | Severity: 3', '2026-01-01T00:00:00Z');
            """);
        Assert.True(code == 0, stderr);

        using var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index);
        Assert.Equal(3, index.SchemaVersion);
        var pending = Assert.Single(index.ReadPending(10));
        Assert.Equal(("1", "learnings", "memory/failures/x.md"), (pending.TrailerKey, pending.RowTable, pending.RelativePath));
        // A second failure can still never take the same file (heuristics may share theirs).
        var sameFile = Tools.Run("sqlite3", _memory.BasePath, _memory.DatabasePath,
            "INSERT INTO elf_outbox(request_id, kind, row_table, row_id, relpath, content, subject, detail, enqueued_at) VALUES ('r2', 'failure', 'learnings', 2, 'memory/failures/x.md', '', '', '', '')");
        Assert.NotEqual(0, sameFile.ExitCode);
        Assert.Contains("UNIQUE", sameFile.Stderr);
    }

    [Fact]
    public void Start_up_repair_appends_entries_a_crash_left_out_of_their_domain_file_once()
    {
        // A crash after the transaction, before the append: rows and outbox entries, no entries in the file.
        using (var index = MemoryIndex.Open(_memory.Paths, ElfSettings.Default.Index))
            index.InsertRecords([new("a", new HeuristicDraft(Heuristic(rule: "One"), Day)), new("b", new HeuristicDraft(Heuristic(rule: "Two"), Day))], DateTimeOffset.UtcNow);
        var file = Path.Combine(_memory.BasePath, "memory", "heuristics", "git.md");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, HeuristicMarkdown.FileHeader("git") + HeuristicMarkdown.Entry(1, Heuristic(rule: "One"), Day));

        ElfActors.Core.MemoryBootstrap.Prepare(_memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);
        ElfActors.Core.MemoryBootstrap.Prepare(_memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);

        Assert.Equal([1L, 2L], HeuristicMarkdown.Parse(File.ReadAllText(file)).Select(e => e.Id));
    }

    [Fact]
    public void Import_request_ids_are_stable_for_the_same_source_record()
    {
        var record = new HeuristicRecord(5, Heuristic());
        // ELF's counters change while the record stays the same record.
        Assert.Equal(MemoryIndex.ImportRequestId(record), MemoryIndex.ImportRequestId(record with { TimesValidated = 3, IsGolden = 1 }));
        Assert.NotEqual(MemoryIndex.ImportRequestId(record), MemoryIndex.ImportRequestId(new HeuristicRecord(5, Heuristic(rule: "Other"))));
        // Another record with the same content is another record (issue #19: never merged by content).
        Assert.NotEqual(MemoryIndex.ImportRequestId(record), MemoryIndex.ImportRequestId(record with { Id = 9 }));
    }

    public void Dispose() => _memory.Dispose();
}
