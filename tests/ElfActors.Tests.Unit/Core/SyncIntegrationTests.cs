using ElfActors.Core;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// Sync's integration (docs/adr/0033) on real repositories: a bare remote and two clones, checked with git itself
/// (trees, parents, fsck, status), never through the code under test.
/// </summary>
public sealed class SyncIntegrationTests : IDisposable
{
    private const string Header = "# Heuristics: shared\n\nGenerated from failures, successes, and observations in the **shared** domain.\n\n---\n\n";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "elf-sync-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _remote;
    private readonly string _a;
    private readonly string _b;

    public SyncIntegrationTests()
    {
        _remote = Path.Combine(_root, "remote.git");
        Tools.GitBareRemote(_remote, new Dictionary<string, string> { ["memory/heuristics/shared.md"] = Header + Entry(1, "seeded"), ["README.md"] = "a memory\n" });
        _a = Clone("a");
        _b = Clone("b");
    }

    private string Clone(string name) => Tools.GitClone(_remote, Path.Combine(_root, name), "Elf " + name, name + "@x");

    private static string Entry(int id, string rule) =>
        $"## H-{id}: {rule}\n\n**Confidence**: 0.50\n**Source**: observation\n**Created**: 2026-12-04\n\nWhy {rule}.\n\n---\n\n";

    private static void Write(string repo, string path, string content)
    {
        var full = Path.Combine(repo, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private static void Append(string repo, string path, string content) => File.AppendAllText(Path.Combine(repo, path), content);

    /// <summary>A commit as elf makes one: the record's file, its trailer naming key and file.</summary>
    private static void ElfCommit(string repo, string file, string title, string? heuristic = null)
    {
        Write(repo, file, $"# {title}\n\nbody\n");
        Tools.Git(repo, "add", file);
        if (heuristic is not null)
        {
            Append(repo, "memory/heuristics/shared.md", heuristic);
            Tools.Git(repo, "add", "memory/heuristics/shared.md");
        }
        Tools.Git(repo, "commit", "-qm", $"failure: {title}\n\nDomain: d | Severity: 3\n\nElf-Record: {Guid.CreateVersion7():D} {file}");
    }

    private static string Fetch(string repo)
    {
        Tools.Git(repo, "fetch", "-q", "origin");
        return Tools.Git(repo, "rev-parse", "origin/main").Trim();
    }

    private static string Show(string repo, string rev) => Tools.Git(repo, "show", rev);

    private static void AssertHealthy(string repo)
    {
        var fsck = Tools.Run("git", repo, "fsck", "--strict");
        Assert.True(fsck.ExitCode == 0, fsck.Stderr);
    }

    [Fact]
    public void Elfs_own_commits_are_replayed_on_the_remote_tip_keeping_every_record_and_heuristic_once()
    {
        ElfCommit(_a, "memory/failures/a1.md", "a1", Entry(2, "from a"));
        Tools.Git(_a, "push", "-q", "origin", "main");
        ElfCommit(_b, "memory/failures/b1.md", "b1", Entry(2, "from b"));
        ElfCommit(_b, "memory/failures/b2.md", "b2");
        var bBefore = Tools.Git(_b, "rev-parse", "HEAD").Trim();
        var upstream = Fetch(_b);

        var outcome = SyncIntegration.Integrate(new MemoryPaths(_b), "refs/heads/main", upstream, "origin/main");

        var tip = Tools.Git(_b, "rev-parse", "main").Trim();
        Assert.Equal(tip, outcome.NewTip);
        // Linear: the replayed commit's only parent is the remote's tip.
        Assert.Equal(upstream, Tools.Git(_b, "rev-parse", tip + "^@").Trim());
        var files = Tools.Git(_b, "ls-tree", "-r", "--name-only", tip).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("memory/failures/a1.md", files);
        Assert.Contains("memory/failures/b1.md", files);
        Assert.Contains("memory/failures/b2.md", files);
        var heuristics = Show(_b, tip + ":memory/heuristics/shared.md");
        Assert.Equal(Header + Entry(1, "seeded") + Entry(2, "from a") + Entry(2, "from b"), heuristics);
        // Both local commits' trailers are kept (history maps every key to its file).
        var message = Tools.Git(_b, "log", "-1", "--format=%B", tip);
        Assert.Contains("Elf-Record: ", message);
        Assert.Contains(" memory/failures/b1.md", message);
        Assert.Contains(" memory/failures/b2.md", message);
        Assert.False(Tools.Run("git", _b, "merge-base", "--is-ancestor", bBefore, tip).ExitCode == 0, "elf's unpushed commits are replayed, not merged");
        // The working tree and git's index follow: nothing modified, the arrived file is there.
        Assert.Equal("", Tools.Git(_b, "status", "--porcelain"));
        Assert.True(File.Exists(Path.Combine(_b, "memory/failures/a1.md")));
        AssertHealthy(_b);

        // Pushing is now a fast-forward, and the other clone fast-forwards to it.
        Tools.Git(_b, "push", "-q", "origin", "main");
        var again = SyncIntegration.Integrate(new MemoryPaths(_a), "refs/heads/main", Fetch(_a), "origin/main");
        Assert.Equal("fast-forward", again.How);
        Assert.Equal(heuristics, File.ReadAllText(Path.Combine(_a, "memory/heuristics/shared.md")));
        Assert.Equal("", Tools.Git(_a, "status", "--porcelain"));
        AssertHealthy(_a);
    }

    [Fact]
    public void A_persons_commit_is_merged_never_rewritten_and_uncommitted_heuristic_entries_stay_after_the_remotes()
    {
        ElfCommit(_a, "memory/failures/a1.md", "a1", Entry(2, "from a"));
        Tools.Git(_a, "push", "-q", "origin", "main");
        Write(_b, "notes.txt", "a person's note\n");
        Tools.Git(_b, "add", "notes.txt");
        Tools.GitCommitAsPerson(_b, "my notes");
        var persons = Tools.Git(_b, "rev-parse", "HEAD").Trim();
        // An entry the domain's writer appended and the committer has not committed yet.
        Append(_b, "memory/heuristics/shared.md", Entry(3, "pending in b"));
        var upstream = Fetch(_b);

        var outcome = SyncIntegration.Integrate(new MemoryPaths(_b), "refs/heads/main", upstream, "origin/main");

        var tip = outcome.NewTip!;
        Assert.Equal(new[] { persons, upstream }, Tools.Git(_b, "rev-parse", tip + "^1", tip + "^2").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(Header + Entry(1, "seeded") + Entry(2, "from a"), Show(_b, tip + ":memory/heuristics/shared.md"));
        Assert.Equal(Header + Entry(1, "seeded") + Entry(2, "from a") + Entry(3, "pending in b"),
            File.ReadAllText(Path.Combine(_b, "memory/heuristics/shared.md")));
        Assert.Equal(" M memory/heuristics/shared.md\n", Tools.Git(_b, "status", "--porcelain"));
        AssertHealthy(_b);
    }

    [Fact]
    public void An_integration_stopped_right_after_the_branch_moved_is_finished_from_its_journal_and_no_entry_is_lost()
    {
        ElfCommit(_a, "memory/failures/a1.md", "a1", Entry(2, "from a"));
        Tools.Git(_a, "push", "-q", "origin", "main");
        ElfCommit(_b, "memory/failures/b1.md", "b1", Entry(3, "from b"));
        Append(_b, "memory/heuristics/shared.md", Entry(4, "pending in b")); // appended by the domain's writer, not committed yet
        var before = Tools.Git(_b, "rev-parse", "main").Trim();
        var sharedPath = Path.Combine(_b, "memory/heuristics/shared.md");
        var workingBefore = File.ReadAllText(sharedPath);
        var upstream = Fetch(_b);
        var journal = IntegrationJournal.In(Path.Combine(_b, ".git"));

        var outcome = SyncIntegration.Integrate(new MemoryPaths(_b), "refs/heads/main", upstream, "origin/main", journal);

        // Noted before the move and left for the caller, who marks it done once the arrived records have rows.
        Assert.Equal((before, outcome.NewTip!), journal.Read());
        // What a kill -9 right after `update-ref` leaves: the branch moved, git's index and the working tree as they were.
        Tools.Git(_b, "read-tree", before);
        File.Delete(Path.Combine(_b, "memory/failures/a1.md"));
        File.WriteAllText(sharedPath, workingBefore);
        Assert.DoesNotContain("from a", File.ReadAllText(sharedPath)); // committing this file now would drop a's entry from the branch

        var resumed = SyncIntegration.Resume(new MemoryPaths(_b), "refs/heads/main", journal);

        Assert.NotNull(resumed);
        Assert.Equal(outcome.NewTip, resumed.NewTip);
        Assert.Contains("memory/failures/a1.md", resumed.ChangedPaths);
        Assert.Equal(Tools.Git(_b, "show", outcome.NewTip + ":memory/failures/a1.md"), File.ReadAllText(Path.Combine(_b, "memory/failures/a1.md")));
        var working = File.ReadAllText(sharedPath);
        foreach (var rule in new[] { "seeded", "from a", "from b", "pending in b" })
            Assert.True(System.Text.RegularExpressions.Regex.Matches(working, $"^## H-\\d+: {rule}\n", System.Text.RegularExpressions.RegexOptions.Multiline).Count == 1, $"{rule} not once in:\n{working}");
        // git agrees: only the pending entry differs from the tip, nothing staged, the repository sound.
        Assert.Equal(" M memory/heuristics/shared.md\n", Tools.Git(_b, "status", "--porcelain"));
        Assert.Equal(Show(_b, outcome.NewTip + ":memory/heuristics/shared.md") + Entry(4, "pending in b"), working);
        AssertHealthy(_b);

        // Once done there is nothing to resume; a journal whose tip the branch has moved on from changes nothing.
        journal.Done();
        Assert.Null(SyncIntegration.Resume(new MemoryPaths(_b), "refs/heads/main", journal));
        journal.Begin(before, upstream);
        var stale = SyncIntegration.Resume(new MemoryPaths(_b), "refs/heads/main", journal);
        Assert.True(stale is { NewTip: null }, stale?.How);
        Assert.Equal(working, File.ReadAllText(sharedPath));
    }

    [Fact]
    public void No_integration_moves_the_branch_while_another_git_holds_gits_index()
    {
        ElfCommit(_a, "memory/failures/a1.md", "a1", Entry(2, "from a"));
        Tools.Git(_a, "push", "-q", "origin", "main");
        ElfCommit(_b, "memory/failures/b1.md", "b1", Entry(3, "from b"));
        var before = Tools.Git(_b, "rev-parse", "main").Trim();
        var upstream = Fetch(_b);
        // Left by a killed host's index write, or held by a person's git: the index could not follow the move.
        var indexLock = Path.Combine(_b, ".git", "index.lock");
        File.WriteAllText(indexLock, "");
        var journal = IntegrationJournal.In(Path.Combine(_b, ".git"));

        var error = Assert.Throws<GitLockHeldException>(() => SyncIntegration.Integrate(new MemoryPaths(_b), "refs/heads/main", upstream, "origin/main", journal));

        Assert.Equal(indexLock, error.LockPath);
        Assert.Equal(before, Tools.Git(_b, "rev-parse", "main").Trim());
        Assert.Null(journal.Read());
        File.Delete(indexLock);
        var outcome = SyncIntegration.Integrate(new MemoryPaths(_b), "refs/heads/main", upstream, "origin/main", journal);
        Assert.NotNull(outcome.NewTip);
        Assert.Equal("", Tools.Git(_b, "status", "--porcelain"));
    }

    [Fact]
    public void A_file_both_sides_edited_is_a_conflict_that_changes_nothing()
    {
        Write(_a, "README.md", "edited on a\n");
        Tools.Git(_a, "commit", "-qam", "a's edit\n\nElf-Record: 0190d6a6-0000-7000-8000-000000000001");
        Tools.Git(_a, "push", "-q", "origin", "main");
        Write(_b, "README.md", "edited on b\n");
        Tools.Git(_b, "commit", "-qam", "b's edit\n\nElf-Record: 0190d6a6-0000-7000-8000-000000000002");
        var before = Tools.Git(_b, "rev-parse", "main").Trim();

        var error = Assert.Throws<SyncConflictException>(() =>
            SyncIntegration.Integrate(new MemoryPaths(_b), "refs/heads/main", Fetch(_b), "origin/main"));

        Assert.Contains("README.md", error.Message);
        Assert.Equal(before, Tools.Git(_b, "rev-parse", "main").Trim());
        Assert.Equal("edited on b\n", File.ReadAllText(Path.Combine(_b, "README.md")));
        Assert.Equal("", Tools.Git(_b, "status", "--porcelain"));
    }

    [Fact]
    public void An_uncommitted_edit_to_a_file_the_remote_changed_is_refused_before_anything_moves()
    {
        Write(_a, "README.md", "edited on a\n");
        Tools.Git(_a, "commit", "-qam", "a's edit");
        Tools.Git(_a, "push", "-q", "origin", "main");
        Write(_b, "README.md", "a person's unsaved work\n");
        var before = Tools.Git(_b, "rev-parse", "main").Trim();

        Assert.Throws<SyncConflictException>(() => SyncIntegration.Integrate(new MemoryPaths(_b), "refs/heads/main", Fetch(_b), "origin/main"));

        Assert.Equal(before, Tools.Git(_b, "rev-parse", "main").Trim());
        Assert.Equal("a person's unsaved work\n", File.ReadAllText(Path.Combine(_b, "README.md")));
    }

    public void Dispose()
    {
        Tools.DeleteTree(_root);
    }
}
