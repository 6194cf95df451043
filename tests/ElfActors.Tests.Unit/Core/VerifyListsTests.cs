using ElfActors.Core.Audit;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// Pins <c>elf verify</c>'s report and <c>--repair</c>'s actions on one memory broken in every way each list reports
/// (docs/adr/0050: verify reads its working sets through a scratch database, not collections of the whole memory):
/// a row whose file is gone, a file and a commit with no row, a row never committed, a record in two commits (keyed and
/// by an integer trailer), one committed again after a removal (not a duplicate), a record the tip lacks, one a person
/// deleted (seen by the committer, and not yet), one edited in the tip and one in the working tree, one waiting.
/// A second memory does the same for heuristics (an entry gone, an entry with no row, a domain without a file, an
/// uncommitted one, ELF's own) and decisions (a file gone, an uncommitted one, a file found by its heading, a stray).
/// The memories are built with git and sqlite3 directly; the expected lines are written out in full.
/// </summary>
public sealed class VerifyListsTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 12, 5);
    private readonly TempMemory _memory = new();

    public VerifyListsTests()
    {
        Tools.Git(_memory.BasePath, "init", "-q", "-b", "main");
        Tools.Git(_memory.BasePath, "config", "user.name", "Elf");
        Tools.Git(_memory.BasePath, "config", "user.email", "elf@x");
        File.WriteAllText(Path.Combine(_memory.BasePath, ".gitignore"), "memory/index.db*\n");
        Tools.Git(_memory.BasePath, "add", ".gitignore");
        Tools.GitCommitAsPerson(_memory.BasePath, "seed");
    }

    public void Dispose() => _memory.Dispose();

    private MemoryPaths Paths => _memory.Paths;

    /// <summary>Stores learnings as the host does (row and outbox entry) and writes their files; returns their outbox entries.</summary>
    private List<OutboxEntry> Store(params (string Title, string Type)[] learnings) =>
        Store(learnings.Select(l =>
        {
            Assert.Empty(LearningValidator.Validate(new LearningInput(l.Title, "verify", "2", "t", "summary of " + l.Title) { Type = l.Type }, out var learning));
            return new RecordInsert("req-" + l.Title, new LearningDraft(learning!, Day));
        }).ToList());

    /// <summary>Stores records as the host does and writes their files (a heuristic appended to its domain file); returns their outbox entries.</summary>
    private List<OutboxEntry> Store(IReadOnlyList<RecordInsert> inserts)
    {
        using var index = MemoryIndex.Open(Paths, ElfActors.Actors.ElfSettings.Default.Index);
        var before = index.ReadPending(1000).Select(p => p.OutboxId).ToHashSet();
        index.InsertRecords(inserts, DateTimeOffset.UtcNow);
        var stored = index.ReadPending(1000).Where(p => !before.Contains(p.OutboxId)).OrderBy(p => p.OutboxId).ToList();
        foreach (var entry in stored)
        {
            var file = Paths.Absolute(entry.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            if (entry.SharesFile) File.WriteAllText(file, HeuristicMarkdown.Append(File.Exists(file) ? File.ReadAllText(file) : null, Path.GetFileNameWithoutExtension(file), [entry.Content]));
            else File.WriteAllText(file, entry.Content);
        }
        return stored;
    }

    private static RecordInsert Heuristic(string domain, string rule)
    {
        Assert.Empty(HeuristicValidator.Validate(new HeuristicInput(domain, rule, "why " + rule), out var heuristic));
        return new RecordInsert("req-" + domain + rule, new HeuristicDraft(heuristic!, Day));
    }

    private static RecordInsert Decision(string title)
    {
        Assert.Empty(DecisionValidator.Validate(new DecisionInput(title, "ctx", "decided", "because"), out var decision));
        return new RecordInsert("req-" + title, new DecisionDraft(decision!, Day));
    }

    /// <summary>Commits these entries' files (those in <paramref name="add"/>) with the committer's message and marks the entries committed.</summary>
    private string Commit(IReadOnlyList<OutboxEntry> entries, IReadOnlyList<OutboxEntry> add)
    {
        foreach (var entry in add) Tools.Git(_memory.BasePath, "add", entry.RelativePath);
        Tools.Git(_memory.BasePath, "commit", "-q", "--allow-empty", "-m", CommitMessage.For(entries));
        var head = Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();
        using var index = MemoryIndex.Open(Paths, ElfActors.Actors.ElfSettings.Default.Index);
        index.MarkEntriesCommitted(entries.Select(e => e.OutboxId).ToList(), head, DateTimeOffset.UtcNow);
        return head;
    }

    private void Sql(string sql)
    {
        var (code, _, stderr) = Tools.Run("sqlite3", _memory.BasePath, Paths.DatabasePath, sql);
        Assert.True(code == 0, stderr);
    }

    private string PersonCommit(string message)
    {
        Tools.GitCommitAsPerson(_memory.BasePath, message);
        return Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();
    }

    [Fact]
    public void Verify_reports_every_list_and_repair_every_action_on_a_memory_broken_every_way()
    {
        var batch = Store(("Gone from disk", "failure"), ("Deleted by a person", "failure"), ("Edited in the tip", "failure"),
            ("Edited in the tree", "failure"), ("Twice keyed", "failure"), ("Seen deleted", "failure"), ("Integer trailers", "failure"),
            ("Committed again", "failure"), ("A success", "success"));
        var (gone, deleted, tipEdit, treeEdit, twice, seen, integer, again, success) =
            (batch[0], batch[1], batch[2], batch[3], batch[4], batch[5], batch[6], batch[7], batch[8]);
        Commit(batch, batch);

        // A row whose file is gone from disk (still in the tip).
        File.Delete(Paths.Absolute(gone.RelativePath));
        // A person's commit deletes a file the committer has not seen deleted yet.
        Tools.Git(_memory.BasePath, "rm", "-q", deleted.RelativePath);
        var deletion = PersonCommit("person removes a file");
        // A person's commit edits one; another is edited in the working tree only.
        File.AppendAllText(Paths.Absolute(tipEdit.RelativePath), "\nedited by a person\n");
        Tools.Git(_memory.BasePath, "add", tipEdit.RelativePath);
        PersonCommit("person edits a file");
        File.AppendAllText(Paths.Absolute(treeEdit.RelativePath), "\nedited, not committed\n");
        // A keyed record named by a second commit of the host's.
        Commit([twice], []);
        // The committer saw a person's deletion of this one (its file still here).
        Sql($"UPDATE elf_outbox SET deleted_by = '0123456789abcdef0123' WHERE id = {seen.OutboxId}");
        // A record stored before record keys, named by integer trailers in two more commits (three with its keyed one,
        // which no longer resolves once the key is gone).
        Sql($"UPDATE elf_outbox SET record_key = NULL WHERE id = {integer.OutboxId}");
        Tools.Git(_memory.BasePath, "commit", "-q", "--allow-empty", "-m", $"one\n\n{CommitMessage.TrailerKey}: {integer.RecordId}\n");
        Tools.Git(_memory.BasePath, "commit", "-q", "--allow-empty", "-m", $"two\n\n{CommitMessage.TrailerKey}: {integer.RecordId}\n");
        // A record a person removed, committed again by the host afterwards (docs/adr/0048): two trailers, one removal.
        var againText = File.ReadAllText(Paths.Absolute(again.RelativePath));
        Tools.Git(_memory.BasePath, "rm", "-q", again.RelativePath);
        PersonCommit("person removes another file");
        File.WriteAllText(Paths.Absolute(again.RelativePath), againText);
        Commit([again], [again]);

        // A record marked committed whose file never reached git; one still waiting for its commit.
        var unreachable = Store(("Never in git", "failure"));
        Commit(unreachable, []);
        var waiting = Store(("Waiting", "failure"));
        // A row ELF's own script wrote, file on disk, never committed; a stray file; a person's file with no row.
        Sql("INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('failure', 'memory/failures/elf-own.md', 'Own', 's', 'd', 3)");
        var elfOwnId = Tools.SqliteScalar(Paths.DatabasePath, "SELECT id FROM learnings WHERE filepath = 'memory/failures/elf-own.md'");
        File.WriteAllText(Paths.Absolute("memory/failures/elf-own.md"), "# Own\n");
        File.WriteAllText(Paths.Absolute("memory/failures/stray.md"), "# Stray\n");
        File.WriteAllText(Paths.Absolute("memory/failures/person.md"), "# A person's\n");
        Tools.Git(_memory.BasePath, "add", "memory/failures/person.md");
        PersonCommit("person adds a failure of their own");

        string Row(OutboxEntry e) => $"record {e.RecordId}: {e.RelativePath}";
        string Named(OutboxEntry e) => $"failure {e.RecordId}: {e.RelativePath}";
        var verify = MemoryVerifier.Verify(Paths);

        Assert.False(verify.Consistent);
        Assert.Equal(12, verify.Rows);
        Assert.Equal(12, verify.Files); // the rows' files less the two gone, the stray and the person's
        Assert.Equal(9, verify.TrackedFiles); // the first batch less the deleted one, the person's
        Assert.Equal(1, verify.Pending);
        Assert.Equal(new[] { Row(gone), Row(deleted) }.Order().ToList(), verify.RowsWithoutFile);
        Assert.Equal(["memory/failures/person.md", "memory/failures/stray.md"], verify.FilesWithoutRow);
        Assert.Equal(new[] { Row(unreachable[0]), $"record {elfOwnId}: memory/failures/elf-own.md" }.Order().ToList(), verify.RowsNotInGit);
        Assert.Equal(["memory/failures/person.md"], verify.InGitWithoutRow);
        Assert.Equal(new[] { $"record {twice.RecordId}: in 2 commits", $"record {integer.RecordId}: in 2 commits" }.Order().ToList(), verify.InSeveralCommits);
        Assert.Equal([Named(unreachable[0])], verify.Unreachable);
        Assert.Equal([$"{Named(tipEdit)} (edited in the branch's tip)", $"{Named(treeEdit)} (edited in the working tree)"], verify.Modified);
        Assert.Equal([$"{Named(seen)} (deleted by commit 0123456789ab)", $"{Named(deleted)} (deleted by commit {deletion[..12]})"], verify.Deleted);
        Assert.DoesNotContain(verify.RowsNotInGit, line => line.Contains(waiting[0].RelativePath, StringComparison.Ordinal));
        Assert.Contains(success.RelativePath, Tools.Git(_memory.BasePath, "ls-files", "memory/successes"), StringComparison.Ordinal);

        var actions = MemoryVerifier.Repair(Paths, ElfActors.Actors.ElfSettings.Default.Index, false, TimeProvider.System);
        Assert.Equal([
            $"rewrote {gone.RelativePath} (record {gone.RecordId}) from the outbox",
            $"rewrote {deleted.RelativePath} (record {deleted.RecordId}) from the outbox",
            $"queued memory/failures/elf-own.md (record {elfOwnId}) for a commit",
            $"queued again for a commit: {Named(unreachable[0])} (not reachable from the branch's tip)",
            "left alone: memory/failures/person.md has no database row",
            "left alone: memory/failures/stray.md has no database row",
            "left alone: memory/failures/person.md is in git but has no database row",
        ], actions);
        Assert.Equal(gone.Content, File.ReadAllText(Paths.Absolute(gone.RelativePath)));
        Assert.Equal("3", Tools.Sqlite(Paths.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL").Single()[0]);
    }
    [Fact]
    public void Verify_reports_heuristics_and_decisions_in_every_list()
    {
        var first = Store([Heuristic("alpha", "one"), Heuristic("alpha", "two"), Heuristic("alpha", "three"), Decision("First"), Decision("Second")]);
        Commit(first, first);
        var (h1, h2, h3, adr1) = (first[0], first[1], first[2], first[3]);
        Assert.Equal([1L, 2L, 3L], new[] { h1.RecordId, h2.RecordId, h3.RecordId });

        // H-2's entry taken out of its domain file, and an entry no row has (H-99) added; ADR-1's file deleted (not in git).
        var alpha = Paths.Absolute("memory/heuristics/alpha.md");
        var text = File.ReadAllText(alpha);
        var (at1, at2, at3) = (text.IndexOf("## H-1:", StringComparison.Ordinal), text.IndexOf("## H-2:", StringComparison.Ordinal), text.IndexOf("## H-3:", StringComparison.Ordinal));
        var stray = text[at1..at2].Replace("## H-1:", "## H-99:", StringComparison.Ordinal).Replace("one", "ninety-nine", StringComparison.Ordinal);
        File.WriteAllText(alpha, text[..at2] + text[at3..] + stray);
        File.Delete(Paths.Absolute(adr1.RelativePath));
        // A heuristic and a decision marked committed whose files never reached git; a heuristic still waiting.
        var uncommitted = Store([Heuristic("beta", "four"), Decision("Third")]);
        Commit(uncommitted, []);
        Store([Heuristic("alpha", "five")]);
        // ELF's own rows: an 'auto' heuristic (never in a file: not reported), a heuristic whose domain has no file, a
        // decision whose file is found by its heading, committed by a person, and a second file headed with its id.
        Sql("INSERT INTO heuristics (domain, rule, source_type) VALUES ('gamma', 'auto rule', 'auto')");
        Sql("INSERT INTO heuristics (domain, rule, source_type) VALUES ('delta', 'a rule', 'manual')");
        Sql("INSERT INTO decisions (title, context, decision, rationale) VALUES ('Own', 'c', 'd', 'r')");
        var delta = Tools.SqliteScalar(Paths.DatabasePath, "SELECT id FROM heuristics WHERE domain = 'delta'");
        var own = Tools.SqliteScalar(Paths.DatabasePath, "SELECT id FROM decisions WHERE title = 'Own'");
        File.WriteAllText(Paths.Absolute("memory/decisions/elf-own.md"), $"# ADR-{own}: Own\n");
        Tools.Git(_memory.BasePath, "add", "memory/decisions/elf-own.md");
        PersonCommit("person adds a decision of their own");
        File.WriteAllText(Paths.Absolute("memory/decisions/zz-copy.md"), $"# ADR-{own}: Copy\n");
        File.WriteAllText(Paths.Absolute("memory/decisions/stray.md"), "# ADR-77: Stray\n");

        var verify = MemoryVerifier.Verify(Paths);

        Assert.False(verify.Consistent);
        Assert.Equal(11, verify.Rows); // 7 heuristics, 4 decisions
        Assert.Equal(1, verify.Pending);
        Assert.Equal([
            "heuristic H-2: memory/heuristics/alpha.md has no entry for it",
            $"heuristic H-{delta}: memory/heuristics/delta.md has no entry for it",
            $"decision ADR-{adr1.RecordId}: no file headed with it in memory/decisions/",
        ], verify.RowsWithoutFile);
        Assert.Equal([
            "memory/heuristics/alpha.md: H-99 has no heuristics row",
            "memory/decisions/stray.md: ADR-77 has no decisions row",
            $"memory/decisions/zz-copy.md: ADR-{own} has no decisions row",
        ], verify.FilesWithoutRow);
        Assert.Equal([$"heuristic H-{uncommitted[0].RecordId}: memory/heuristics/beta.md", $"decision ADR-{uncommitted[1].RecordId}: {uncommitted[1].RelativePath}"],
            verify.RowsNotInGit);
        Assert.Equal([$"decision ADR-{uncommitted[1].RecordId}: {uncommitted[1].RelativePath}", $"heuristic H-{uncommitted[0].RecordId}: memory/heuristics/beta.md"],
            verify.Unreachable);
        Assert.Empty(verify.InGitWithoutRow);
        Assert.Empty(verify.InSeveralCommits);
        Assert.Empty(verify.Modified);
        Assert.Empty(verify.Deleted);
    }
}
