using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// The in-process index update, judged by the git executable: after each commit git must see exactly what
/// `git update-index --add` would have left — the entries, their stat data (no re-read needed), a cache tree that
/// still writes the right tree — and, where the appender cannot do it, git does it instead.
/// </summary>
[Trait("Category", "FaultMatrix")]
public sealed class IndexAppenderTests : IDisposable
{
    private readonly TempMemory _memory = new();

    public IndexAppenderTests() => GitStore.EnsureRepository(_memory.Paths);

    private string Base => _memory.BasePath;

    /// <summary>A file whose times are a minute old, so that git trusts its stat data instead of re-reading it.</summary>
    private string WriteOld(string relativePath, string content)
    {
        var path = _memory.Paths.Absolute(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        return relativePath;
    }

    private void PersonCommits(params string[] relativePaths)
    {
        foreach (var path in relativePaths) WriteOld(path, "a person's " + path + "\n");
        Tools.Git(Base, ["add", .. relativePaths]);
        Tools.GitCommitAsPerson(Base, "person");
    }

    /// <summary>What git says of the index: nothing staged, nothing modified by stat alone, the cache tree right.</summary>
    private void AssertGitAgrees()
    {
        // diff-files compares stat data without refreshing: a wrong field shows the file as modified.
        Assert.Equal(string.Empty, Tools.Git(Base, "diff-files", "--name-only"));
        Assert.Equal(string.Empty, Tools.Git(Base, "diff-index", "--cached", "--name-only", "HEAD"));
        Assert.Equal(string.Empty, Tools.Git(Base, "status", "--porcelain"));
        // write-tree trusts the cache tree where it is valid: a stale one would give a tree without our files.
        Assert.Equal(Tools.Git(Base, "rev-parse", "HEAD^{tree}").Trim(), Tools.Git(Base, "write-tree").Trim());
        Assert.Equal(string.Empty, Tools.Run("git", Base, "fsck", "--no-dangling", "--no-progress").Stderr.Trim());
    }

    private static string IndexEntry(string basePath, string path) => Tools.Git(basePath, "ls-files", "-s", "--", path).Trim();

    private (long Length, DateTime Written)? SharedIndex() =>
        Directory.GetFiles(Path.Combine(Base, ".git"), "sharedindex.*") is [var one] ? (new FileInfo(one).Length, File.GetLastWriteTimeUtc(one)) : null;

    [Fact]
    public void New_files_are_added_in_process_with_the_stat_data_and_blobs_git_would_write()
    {
        PersonCommits("README.md", "docs/a.md", "docs/b.md");
        Tools.Git(Base, "write-tree"); // a full cache tree in the index
        using var store = new GitStore(_memory.Paths);

        store.CommitFiles([WriteOld("memory/failures/2.md", "two\n"), WriteOld("memory/failures/1.md", "one\n"), WriteOld("memory/heuristics/h.md", "h\n")],
            "failure: batch\n");

        Assert.Equal(1, store.IndexUpdatesInProcess);
        Assert.Null(store.LastIndexUpdateByGit);
        foreach (var path in new[] { "memory/failures/1.md", "memory/failures/2.md", "memory/heuristics/h.md" })
            Assert.Equal($"100644 {Tools.Git(Base, "hash-object", path).Trim()} 0\t{path}", IndexEntry(Base, path));
        AssertGitAgrees();

        // A person's commit afterwards keeps our files (the index is theirs too).
        PersonCommits("docs/c.md");
        Assert.Contains("memory/failures/1.md", Tools.Git(Base, "ls-tree", "-r", "--name-only", "HEAD"));
        AssertGitAgrees();
    }

    [Fact]
    public void A_split_index_gets_its_new_entries_in_the_split_part_and_its_shared_part_is_left_as_it_was()
    {
        Tools.Git(Base, "config", "core.splitIndex", "true");
        Tools.Git(Base, "config", "splitIndex.maxPercentChange", "100"); // never re-split: this test is of the split part
        PersonCommits("a.md", "b.md", "docs/c.md", "docs/d.md");
        WriteOld("b.md", "b changed by a person\n");
        Tools.Git(Base, "add", "b.md"); // a replaced entry in the split part
        Tools.GitCommitAsPerson(Base, "person edits b");
        Tools.Git(Base, "write-tree");
        var shared = SharedIndex();
        Assert.NotNull(shared);
        using var store = new GitStore(_memory.Paths);

        for (var batch = 0; batch < 3; batch++)
            store.CommitFiles([WriteOld($"memory/failures/{batch}-b.md", "b"), WriteOld($"memory/failures/{batch}-a.md", "a")], $"batch {batch}\n");

        Assert.Equal(3, store.IndexUpdatesInProcess);
        Assert.Equal(shared, SharedIndex());
        Assert.Equal($"100644 {Tools.Git(Base, "hash-object", "b.md").Trim()} 0\tb.md", IndexEntry(Base, "b.md"));
        Assert.Equal(10, Tools.Git(Base, "ls-files").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        AssertGitAgrees();
    }

    [Fact]
    public void A_racily_clean_entry_whose_file_changed_unseen_is_smudged_as_git_would()
    {
        // Stat cannot see this change: same size, same mtime, and ctime not trusted. The entry's mtime is ahead of
        // any index written meanwhile, so it stays racily clean, and the next index write must check its content.
        Tools.Git(Base, "config", "core.trustctime", "false");
        PersonCommits("README.md");
        using var store = new GitStore(_memory.Paths);
        var racy = _memory.Paths.Absolute("memory/failures/racy.md");
        Directory.CreateDirectory(Path.GetDirectoryName(racy)!);
        File.WriteAllText(racy, "first\n");
        var ahead = DateTime.UtcNow.AddSeconds(30);
        File.SetLastWriteTimeUtc(racy, ahead);
        store.CommitFiles(["memory/failures/racy.md"], "racy\n");
        File.WriteAllText(racy, "other\n");
        File.SetLastWriteTimeUtc(racy, ahead);

        store.CommitFiles([WriteOld("memory/failures/next.md", "next\n")], "next\n");

        Assert.Equal(2, store.IndexUpdatesInProcess);
        Assert.Contains("size: 0", Tools.Git(Base, "ls-files", "--debug", "--", "memory/failures/racy.md"));
        Assert.Equal("memory/failures/racy.md", Tools.Git(Base, "diff-files", "--name-only").Trim());
    }

    [Fact]
    public void A_same_size_edit_in_the_second_of_the_index_write_is_seen_by_git_status_and_not_read_again_by_us()
    {
        // The entry and the index are of the same second: every reader that compares seconds checks its content
        // itself, so the next index written in that second carries it over unread (docs/adr/0058). git's verdict
        // is what counts: the edit must show. On 020180d the entry was re-read and smudged (size 0) instead.
        Tools.Git(Base, "config", "core.trustctime", "false");
        PersonCommits("README.md");
        using var store = new GitStore(_memory.Paths);
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            // The file's time is the second's very start, so that the index written after it is later to the
            // nanosecond: an entry as new as its index is racy even to a git that compares nanoseconds, and that one
            // we always check (the next test). Both commits then have nearly the whole second.
            var second = StartOfNextSecond();
            var relative = $"memory/failures/racy-{attempt}.md";
            var racy = _memory.Paths.Absolute(relative);
            Directory.CreateDirectory(Path.GetDirectoryName(racy)!);
            File.WriteAllText(racy, "first\n");
            File.SetLastWriteTimeUtc(racy, second);
            store.CommitFiles([relative], "racy\n");
            if (UnixSecond(File.GetLastWriteTimeUtc(IndexPath)) != UnixSecond(second))
            {
                continue; // the second turned inside that commit (a loaded machine): not the racy case. Again.
            }
            File.WriteAllText(racy, "other\n"); // same size; the time put back: stat cannot tell
            File.SetLastWriteTimeUtc(racy, second);
            var checks = store.IndexContentChecks;

            File.WriteAllText(_memory.Paths.Absolute($"memory/failures/next-{attempt}.md"), "next\n");
            store.CommitFiles([$"memory/failures/next-{attempt}.md"], "next\n");

            var indexSecond = UnixSecond(File.GetLastWriteTimeUtc(IndexPath));
            var entry = Tools.Git(Base, "ls-files", "--debug", "--", relative); // before git status, which refreshes the index
            Assert.Equal(relative, Tools.Git(Base, "diff-files", "--name-only").Trim());
            Assert.Equal($" M {relative}", Tools.Git(Base, "status", "--porcelain").TrimEnd());
            if (indexSecond != UnixSecond(second))
            {
                // The second turned between the two commits: the entry was checked and smudged instead. Again.
                Tools.Git(Base, "add", relative);
                Tools.GitCommitAsPerson(Base, "person takes the edit");
                continue;
            }
            Assert.Equal(checks, store.IndexContentChecks);
            Assert.DoesNotContain("size: 0", entry);
            return;
        }
        Assert.Fail("no two commits fell in one second in ten attempts");
    }

    [Fact]
    public void An_entry_as_new_as_its_index_to_the_nanosecond_is_checked_even_in_the_same_second()
    {
        // A kernel that stamps files from its coarse clock gives a file and the index written right after it the same
        // time to the nanosecond. A git built with USE_NSEC finds such an entry racy and checks it when it writes the
        // index (is_racy_timestamp), whatever the second: so do we, and the edit that stat cannot see is smudged.
        Tools.Git(Base, "config", "core.trustctime", "false");
        PersonCommits("README.md");
        using var store = new GitStore(_memory.Paths);
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            var second = StartOfNextSecond();
            var stamp = second.AddTicks(1234); // 123,400 ns into the second, in whole 100 ns as .NET sets times
            var relative = $"memory/failures/racy-{attempt}.md";
            var racy = _memory.Paths.Absolute(relative);
            Directory.CreateDirectory(Path.GetDirectoryName(racy)!);
            File.WriteAllText(racy, "first\n");
            File.SetLastWriteTimeUtc(racy, stamp);
            store.CommitFiles([relative], "racy\n");
            File.SetLastWriteTimeUtc(IndexPath, stamp); // the index as new as the entry, as a coarse clock leaves them
            File.WriteAllText(racy, "other\n"); // same size; the time put back: stat cannot tell
            File.SetLastWriteTimeUtc(racy, stamp);
            var checks = store.IndexContentChecks;

            File.WriteAllText(_memory.Paths.Absolute($"memory/failures/next-{attempt}.md"), "next\n");
            store.CommitFiles([$"memory/failures/next-{attempt}.md"], "next\n");

            Assert.Equal(relative, Tools.Git(Base, "diff-files", "--name-only").Trim());
            if (UnixSecond(File.GetLastWriteTimeUtc(IndexPath)) != UnixSecond(second))
            {
                // The second turned before the second commit: checked for that reason alone. Again.
                Tools.Git(Base, "add", relative);
                Tools.GitCommitAsPerson(Base, "person takes the edit");
                continue;
            }
            Assert.Equal(checks + 1, store.IndexContentChecks);
            Assert.Contains("size: 0", Tools.Git(Base, "ls-files", "--debug", "--", relative));
            Assert.Equal($" M {relative}", Tools.Git(Base, "status", "--porcelain").TrimEnd());
            return;
        }
        Assert.Fail("no two commits fell in one second in ten attempts");
    }

    private string IndexPath => Path.Combine(Base, ".git", "index");

    private static long UnixSecond(DateTime utc) => new DateTimeOffset(utc).ToUnixTimeSeconds();

    /// <summary>
    /// Waits until 30 ms into the wall clock's next second (a file's time may come from the kernel's coarse clock, a
    /// tick or two behind) and returns that second's start.
    /// </summary>
    private static DateTime StartOfNextSecond()
    {
        var now = DateTime.UtcNow;
        var second = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddSeconds(1);
        Thread.Sleep(second.AddMilliseconds(30) - now);
        return second;
    }

    [Fact]
    public void A_racily_clean_entry_of_an_earlier_second_is_checked_once_the_index_is_written_in_a_later_one()
    {
        // The file and the index that added it were written in the same second, three seconds ago; the file was
        // edited unseen in that second. The index written now makes the entry look clean to git: it must be smudged.
        Tools.Git(Base, "config", "core.trustctime", "false");
        PersonCommits("README.md");
        using var store = new GitStore(_memory.Paths);
        const string relative = "memory/failures/racy.md";
        var racy = _memory.Paths.Absolute(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(racy)!);
        var second = DateTime.UnixEpoch.AddSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3);
        File.WriteAllText(racy, "first\n");
        File.SetLastWriteTimeUtc(racy, second.AddMilliseconds(100));
        store.CommitFiles([relative], "racy\n");
        File.SetLastWriteTimeUtc(Path.Combine(Base, ".git", "index"), second.AddMilliseconds(500));
        File.WriteAllText(racy, "other\n");
        File.SetLastWriteTimeUtc(racy, second.AddMilliseconds(100));
        var checks = store.IndexContentChecks;

        store.CommitFiles([WriteOld("memory/failures/next.md", "next\n")], "next\n");

        Assert.Equal(checks + 1, store.IndexContentChecks);
        Assert.Contains("size: 0", Tools.Git(Base, "ls-files", "--debug", "--", relative));
        Assert.Equal(relative, Tools.Git(Base, "diff-files", "--name-only").Trim());
        Assert.Equal($" M {relative}", Tools.Git(Base, "status", "--porcelain").TrimEnd());
        Assert.Equal(0, Tools.Run("git", Base, "fsck", "--strict", "--no-progress").ExitCode);
    }

    [Fact]
    public void Racily_clean_entries_in_a_split_index_are_checked_where_they_are_and_a_changed_one_is_smudged()
    {
        // A person's files with times ahead of every index written during the test: racily clean throughout, in
        // the shared part or moved by git into the split part as replaced entries.
        Tools.Git(Base, "config", "core.splitIndex", "true");
        Tools.Git(Base, "config", "splitIndex.maxPercentChange", "100");
        Tools.Git(Base, "config", "core.trustctime", "false");
        var ahead = DateTime.UtcNow.AddSeconds(60);
        foreach (var name in new[] { "a.md", "b.md", "c.md" })
        {
            var path = Path.Combine(Base, name);
            File.WriteAllText(path, "first " + name + "\n");
            File.SetLastWriteTimeUtc(path, ahead);
        }
        Tools.Git(Base, "add", "a.md", "b.md", "c.md");
        Tools.GitCommitAsPerson(Base, "person");
        Tools.Git(Base, "update-index", "--split-index");
        using var store = new GitStore(_memory.Paths);

        store.CommitFiles([WriteOld("memory/failures/1.md", "one\n")], "one\n");
        Assert.Equal(1, store.IndexUpdatesInProcess);
        AssertGitAgrees();

        // Same size, same time, ctime not trusted: only the content shows b.md changed.
        File.WriteAllText(Path.Combine(Base, "b.md"), "other b.md\n");
        File.SetLastWriteTimeUtc(Path.Combine(Base, "b.md"), ahead);
        store.CommitFiles([WriteOld("memory/failures/2.md", "two\n")], "two\n");

        Assert.Contains("size: 0", Tools.Git(Base, "ls-files", "--debug", "--", "b.md"));
        Assert.Equal("b.md", Tools.Git(Base, "diff-files", "--name-only").Trim());
        Assert.Equal(string.Empty, Tools.Git(Base, "diff-files", "--name-only", "--", "a.md", "c.md", "memory"));
    }

    [Fact]
    public void Git_is_asked_exactly_when_it_re_splits_the_index()
    {
        Tools.Git(Base, "config", "core.splitIndex", "true");
        Tools.Git(Base, "config", "splitIndex.maxPercentChange", "50");
        PersonCommits("a.md", "b.md", "c.md", "d.md");
        Tools.Git(Base, "update-index", "--split-index");
        var sharedBefore = Directory.GetFiles(Path.Combine(Base, ".git"), "sharedindex.*").Single();
        using var store = new GitStore(_memory.Paths);

        // git re-splits once entries outside the shared index pass 50 % of all: at the fifth new file (5 of 9).
        for (var i = 1; i <= 4; i++) store.CommitFiles([WriteOld($"memory/failures/{i}.md", $"{i}\n")], $"{i}\n");
        Assert.Equal(4, store.IndexUpdatesInProcess);
        Assert.True(File.Exists(sharedBefore));
        store.CommitFiles([WriteOld("memory/failures/5.md", "5\n")], "5\n");

        Assert.Equal(4, store.IndexUpdatesInProcess);
        Assert.Contains("re-split", store.LastIndexUpdateByGit);
        var sharedAfter = Directory.GetFiles(Path.Combine(Base, ".git"), "sharedindex.*").Where(f => f != sharedBefore).Single();
        Assert.Equal(9, Tools.Git(Base, "ls-files").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        store.CommitFiles([WriteOld("memory/failures/6.md", "6\n")], "6\n");
        Assert.Equal(5, store.IndexUpdatesInProcess);
        Assert.True(File.Exists(sharedAfter));
        AssertGitAgrees();
    }

    [Fact]
    public void What_it_does_not_handle_is_left_to_git_and_still_ends_right()
    {
        PersonCommits("README.md");
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([WriteOld("memory/failures/1.md", "one\n")], "one\n");

        // A path already in the index (a record file rewritten): git replaces the entry.
        store.CommitFiles([WriteOld("memory/failures/1.md", "one, restored\n")], "again\n");
        Assert.Contains("in the index already", store.LastIndexUpdateByGit);
        AssertGitAgrees();

        // Attributes may convert the content: the whole batch goes through git's plumbing.
        WriteOld(".gitattributes", "*.bin binary\n");
        Tools.Git(Base, "add", ".gitattributes");
        Tools.GitCommitAsPerson(Base, "attributes");
        store.CommitFiles([WriteOld("memory/failures/2.md", "two\n")], "two\n");
        Assert.Equal("git", store.WriterInUse);
        Assert.Contains("attributes", store.WriterFallbackReason);
        AssertGitAgrees();
        File.Delete(Path.Combine(Base, ".gitattributes"));
        Tools.Git(Base, "rm", "-q", "--cached", ".gitattributes");
        Tools.GitCommitAsPerson(Base, "no attributes");

        // Index version 4 (a person's feature.manyFiles): git writes it.
        Tools.Git(Base, "update-index", "--index-version", "4");
        store.CommitFiles([WriteOld("memory/failures/3.md", "three\n")], "three\n");
        Assert.Contains("version 4", store.LastIndexUpdateByGit);
        AssertGitAgrees();

        Assert.Equal(1, store.IndexUpdatesInProcess);
    }

    [Fact]
    public void A_person_holding_the_index_lock_is_waited_for_and_their_lock_is_left_alone()
    {
        PersonCommits("README.md");
        using var store = new GitStore(_memory.Paths);
        var lockPath = Path.Combine(Base, ".git", "index.lock");
        File.WriteAllText(lockPath, "");

        var error = Assert.Throws<GitLockHeldException>(() => store.CommitFiles([WriteOld("memory/failures/x.md", "x")], "m"));

        Assert.Equal(lockPath, error.LockPath);
        Assert.True(File.Exists(lockPath));
        Assert.Equal(new[] { "index", "index.lock" }, Directory.GetFiles(Path.Combine(Base, ".git"), "*index*").Select(Path.GetFileName).Order());
        Assert.Single(GitHistory.Log(Base));
        File.Delete(lockPath);
        store.CommitFiles(["memory/failures/x.md"], "m\n");
        Assert.Equal(1, store.IndexUpdatesInProcess);
        AssertGitAgrees();
    }

    /// <summary>A person's `git add` of their edit: its exit code and what it said.</summary>
    private (int ExitCode, string Stderr) PersonStages(string relativePath, string content)
    {
        File.WriteAllText(Path.Combine(Base, relativePath), content);
        var (exitCode, _, stderr) = Tools.Run("git", Base, "add", relativePath);
        return (exitCode, stderr.Trim());
    }

    /// <summary>A record file written and its blob stored, as the committer hands it to the appender.</summary>
    private IndexAddition Addition(string relativePath, string content)
    {
        WriteOld(relativePath, content);
        var blob = Tools.Git(Base, "hash-object", "-w", relativePath).Trim();
        return new IndexAddition(relativePath, Convert.FromHexString(blob), FileStat.Of(_memory.Paths.Absolute(relativePath))!.Value);
    }

    [Fact]
    public void A_persons_git_add_while_the_new_index_is_built_succeeds_and_what_they_staged_is_kept()
    {
        // The new index is built before index.lock is taken: a person's git that writes the index meanwhile finds it
        // free, and the appender, finding the index changed under its lock, builds it again from theirs.
        PersonCommits("README.md");
        using var store = new GitStore(_memory.Paths);
        (int ExitCode, string Stderr)? persons = null;
        store.AfterIndexBuilt = () => persons ??= PersonStages("README.md", "the person's edit\n");

        store.CommitFiles([WriteOld("memory/failures/1.md", "one\n")], "one\n");

        Assert.Equal((0, ""), persons);
        // Their edit is staged still, and not in the host's commit; the host's file is staged as committed.
        Assert.Equal(Tools.Git(Base, "hash-object", "README.md").Trim(), Tools.Git(Base, "rev-parse", ":README.md").Trim());
        Assert.Equal(1, store.IndexChangedBeforeLock);
        Assert.Equal(1, store.IndexUpdatesInProcess);
        Assert.Equal("README.md", Tools.Git(Base, "diff", "--cached", "--name-only", "HEAD").Trim());
        Assert.Equal("a person's README.md\n", Tools.Git(Base, "show", "HEAD:README.md"));
        Assert.Equal($"100644 {Tools.Git(Base, "hash-object", "memory/failures/1.md").Trim()} 0\tmemory/failures/1.md", IndexEntry(Base, "memory/failures/1.md"));
        Assert.Equal(string.Empty, Tools.Git(Base, "diff-files", "--name-only"));
        // Their commit then holds their edit, and the host's file stays committed.
        Tools.GitCommitAsPerson(Base, "person commits their edit");
        Assert.Equal("the person's edit\n", Tools.Git(Base, "show", "HEAD:README.md"));
        Assert.Contains("memory/failures/1.md", Tools.Git(Base, "ls-tree", "-r", "--name-only", "HEAD"));
        AssertGitAgrees();
    }

    [Fact]
    public void An_index_another_git_keeps_rewriting_is_never_read_under_the_lock_nothing_is_written_and_every_change_is_kept()
    {
        // A person's git rewrites the index after each build: the appender gives up for now (the committer holds and
        // tries again) rather than read the index under index.lock, which would be the long window again.
        PersonCommits("README.md");
        var appender = new IndexAppender(Path.Combine(Base, ".git"), Base);
        var persons = new List<(int ExitCode, string Stderr)>();
        appender.AfterBuild = () => persons.Add(PersonStages("README.md", $"the person's edit {persons.Count + 1}\n"));

        Assert.Throws<GitIndexChangingException>(() => appender.TryAdd([Addition("memory/failures/1.md", "one\n")]));

        Assert.Equal(IndexAppender.Attempts, persons.Count);
        Assert.All(persons, p => Assert.Equal((0, ""), p));
        Assert.Equal($"the person's edit {IndexAppender.Attempts}\n", Tools.Git(Base, "show", ":README.md"));
        Assert.Equal(string.Empty, IndexEntry(Base, "memory/failures/1.md"));
        Assert.Equal(IndexAppender.Attempts, appender.ChangedBeforeLock);
        Assert.False(File.Exists(Path.Combine(Base, ".git", "index.lock")));
        Assert.False(File.Exists(appender.NewIndexPath));

        // Once the person's git is quiet, the next try stages the file beside their edit.
        appender.AfterBuild = null;
        Assert.Null(appender.TryAdd([Addition("memory/failures/1.md", "one\n")]));
        Assert.Equal($"the person's edit {IndexAppender.Attempts}\n", Tools.Git(Base, "show", ":README.md"));
        Assert.Equal($"100644 {Tools.Git(Base, "hash-object", "memory/failures/1.md").Trim()} 0\tmemory/failures/1.md", IndexEntry(Base, "memory/failures/1.md"));
        Assert.Equal(string.Empty, Tools.Git(Base, "diff-files", "--name-only"));
        Assert.False(File.Exists(appender.NewIndexPath));
    }

    [Fact]
    public void An_index_changed_right_before_the_lock_is_seen_under_the_lock_and_built_again()
    {
        // The person's git add runs after the look before the lock (here: as the committer's look for a person's git
        // runs): only the check under the lock can see it.
        PersonCommits("README.md");
        var appender = new IndexAppender(Path.Combine(Base, ".git"), Base);
        (int ExitCode, string Stderr)? persons = null;

        Assert.Null(appender.TryAdd([Addition("memory/failures/1.md", "one\n")], beforeLock: () => persons ??= PersonStages("README.md", "the person's edit\n")));

        Assert.Equal((0, ""), persons);
        Assert.Equal("the person's edit\n", Tools.Git(Base, "show", ":README.md"));
        Assert.Equal($"100644 {Tools.Git(Base, "hash-object", "memory/failures/1.md").Trim()} 0\tmemory/failures/1.md", IndexEntry(Base, "memory/failures/1.md"));
        Assert.Equal(1, appender.ChangedBeforeLock);
        Assert.Equal(string.Empty, Tools.Git(Base, "diff-files", "--name-only"));
        Assert.False(File.Exists(appender.NewIndexPath));
    }

    public void Dispose() => _memory.Dispose();
}
