using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>The git store on real repositories, checked with the git executable.</summary>
[Trait("Category", "FaultMatrix")]
public sealed class GitStoreTests : IDisposable
{
    private readonly TempMemory _memory = new();

    private string Write(string relativePath, string content)
    {
        var path = _memory.Paths.Absolute(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return relativePath;
    }

    private void PersonCommits(string relativePath, string content)
    {
        Write(relativePath, content);
        Tools.Git(_memory.BasePath, "add", relativePath);
        Tools.GitCommitAsPerson(_memory.BasePath, "person: " + relativePath);
    }

    [Fact]
    public void An_init_that_a_kill_interrupted_is_finished_by_the_next_start()
    {
        // What kill -9 during Repository.Init leaves: a .git folder with config.lock and no HEAD.
        var basePath = Path.Combine(Path.GetTempPath(), "elf-half-init-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(basePath, ".git"));
        File.WriteAllText(Path.Combine(basePath, ".git", "config.lock"), "[core]\n\trepositoryformat");
        try
        {
            GitStore.EnsureRepository(new ElfActors.Contracts.MemoryPaths(basePath));
            Assert.Equal("true", Tools.Git(basePath, "rev-parse", "--is-inside-work-tree").Trim());
            Assert.False(File.Exists(Path.Combine(basePath, ".git", "config.lock")));
        }
        finally
        {
            Directory.Delete(basePath, recursive: true);
        }
    }

    [Fact]
    public void The_first_commit_on_an_unborn_branch_holds_exactly_the_given_files()
    {
        using var store = new GitStore(_memory.Paths);
        var file = Write("memory/failures/a.md", "a");

        var sha = store.CommitFiles([file], "failure: a\n\nDomain: d | Severity: 3\n\nElf-Record: 1\n");

        Assert.Equal(sha, Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim());
        Assert.Equal("memory/failures/a.md\n", Tools.Git(_memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD"));
        Assert.Equal("failure: a\n\nDomain: d | Severity: 3\n\nElf-Record: 1\n", Tools.Git(_memory.BasePath, "log", "-1", "--format=%B").TrimEnd('\n') + "\n");
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Fact]
    public void A_batch_is_written_as_one_pack_that_git_reads_and_fsck_accepts_and_small_packs_are_merged()
    {
        var store = new GitStore(_memory.Paths);
        for (var batch = 0; batch < 55; batch++)
        {
            var files = Enumerable.Range(0, 3).Select(i => Write($"memory/failures/p{batch}-{i}.md", $"# record {batch}-{i}\n")).ToList();
            files.Add(Write($"memory/failures/same-{batch}.md", "identical content in every batch\n"));
            store.CommitFiles(files, $"failures: batch {batch}\n");
        }
        store.Dispose(); // waits for the background pack merge

        Assert.Equal("# record 54-2\n", Tools.Git(_memory.BasePath, "show", "HEAD:memory/failures/p54-2.md"));
        Assert.Equal("# record 0-0\n", Tools.Git(_memory.BasePath, "show", "HEAD:memory/failures/p0-0.md"));
        Assert.Equal(220, Tools.Git(_memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Tools.Git(_memory.BasePath, "fsck", "--strict", "--no-dangling");
        var looseBlobs = Tools.Git(_memory.BasePath, "count-objects", "-v").Split('\n').Single(l => l.StartsWith("count:", StringComparison.Ordinal));
        Assert.True(int.Parse(looseBlobs[6..].Trim()) <= 2 * 55, looseBlobs); // trees and commits only: no blob is loose
        // The merge runs in the background (its own git process, lowest priority): on a loaded machine it outlasts
        // Dispose's 10 s wait, so its result is awaited here, with a deadline.
        var packs = Path.Combine(_memory.BasePath, ".git", "objects", "pack");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (Directory.GetFiles(packs, "*.pack").Length > 50 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.True(Directory.GetFiles(packs, "*.pack").Length <= 50);
        Tools.Git(_memory.BasePath, "fsck", "--strict", "--no-dangling");
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    public void A_large_index_is_split_unless_the_person_configured_otherwise(string? personSetting, bool expectSplit)
    {
        GitStore.EnsureRepository(_memory.Paths);
        PersonCommits("notes.txt", "v1");
        if (personSetting is not null) Tools.Git(_memory.BasePath, "config", "core.splitIndex", personSetting);
        using var store = new GitStore(_memory.Paths) { SplitIndexThreshold = 0 };

        store.CommitFiles([Write("memory/failures/s1.md", "s1")], "failure: s1\n\nElf-Record: 1\n");
        store.CommitFiles([Write("memory/failures/s2.md", "s2")], "failure: s2\n\nElf-Record: 2\n");

        Assert.Equal(expectSplit, Directory.GetFiles(Path.Combine(_memory.BasePath, ".git"), "sharedindex.*").Length > 0);
        Assert.Equal("memory/failures/s1.md\nmemory/failures/s2.md\nnotes.txt\n", Tools.Git(_memory.BasePath, "ls-files"));
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Fact]
    public void A_persons_staged_modified_and_untracked_files_are_left_exactly_as_they_were()
    {
        using var store = new GitStore(_memory.Paths);
        PersonCommits("notes.txt", "v1");
        Write("notes.txt", "v2 (modified, not staged)");
        Write("staged.txt", "staged by a person");
        Tools.Git(_memory.BasePath, "add", "staged.txt");
        Write("untracked.txt", "untracked");
        var before = GitHistory.Status(_memory.BasePath);

        store.CommitFiles([Write("memory/failures/b.md", "b")], "failure: b\n\nElf-Record: 2\n");

        Assert.Equal("memory/failures/b.md\n", Tools.Git(_memory.BasePath, "show", "--name-only", "--format=", "HEAD"));
        Assert.Equal(before, GitHistory.Status(_memory.BasePath)); // still staged, modified, untracked
    }

    [Fact]
    public void The_live_database_and_working_files_are_ignored_and_never_committed()
    {
        using var store = new GitStore(_memory.Paths);
        Write("memory/index.db", "sqlite");
        Write("memory/index.db-wal", "wal");
        Write("memory/.elf/host.lock", "lock");
        Write("memory/failures/.elf-0123.tmp", "temp");

        store.CommitFiles([Write("memory/failures/c.md", "c")], "failure: c\n\nElf-Record: 3\n");

        Assert.Empty(GitHistory.Status(_memory.BasePath));
        Assert.Equal(["memory/failures/c.md"], GitHistory.TrackedFiles(_memory.BasePath));
    }

    [Fact]
    public void A_persons_commit_made_in_between_is_kept()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        PersonCommits("person.txt", "mine");

        store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");

        var subjects = Tools.Git(_memory.BasePath, "log", "--format=%s").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["failure: 2", "person: person.txt", "failure: 1"], subjects);
        Assert.Equal(["memory/failures/1.md", "memory/failures/2.md", "person.txt"], GitHistory.TrackedFiles(_memory.BasePath).Order());
    }

    [Fact]
    public void A_commit_made_while_ours_is_being_built_is_kept_and_ours_is_rebuilt_on_top()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var personCommitted = false;
        store.BeforeBranchMove = () =>
        {
            if (personCommitted) return;
            personCommitted = true;
            PersonCommits("person.txt", "committed while ElfActors was building its commit");
        };

        store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");

        var subjects = Tools.Git(_memory.BasePath, "log", "--format=%s").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["failure: 2", "person: person.txt", "failure: 1"], subjects);
        Assert.Equal(["memory/failures/1.md", "memory/failures/2.md", "person.txt"], GitHistory.TrackedFiles(_memory.BasePath).Order());
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("git")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_persons_git_running_when_ours_is_about_to_be_staged_is_waited_for_with_nothing_staged(string writer)
    {
        using var store = new GitStore(_memory.Paths) { PreferredWriter = writer };
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var before = Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();
        using var person = DetachedGit.Start(_memory.BasePath);
        person.WaitUntilRunning();

        var held = Assert.Throws<PersonGitRunningException>(() => store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n"));

        Assert.Equal(person.Pid, held.Pid);
        Assert.Equal(before, Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim()); // the branch the person read has not moved
        // Nothing staged: a person's reset --hard or stash meanwhile cannot take the host's files with it.
        Assert.Empty(Tools.Git(_memory.BasePath, "diff", "--cached", "--name-only").Trim());
        person.End();
        store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");
        Assert.Equal(["memory/failures/1.md", "memory/failures/2.md"], GitHistory.TrackedFiles(_memory.BasePath).Order());
        Assert.Equal(before, Tools.Git(_memory.BasePath, "rev-parse", "HEAD~1").Trim());
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Fact]
    public void A_batchs_pack_is_written_while_gits_new_index_is_built_and_is_in_place_before_the_branch_moves()
    {
        // docs/adr/0072: the pack is written on its own thread while the committer's builds git's new index. The pack
        // waits here until the index is built: written one after the other, on one thread, it would wait in vain.
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        using var indexBuilt = new ManualResetEventSlim();
        bool? indexBuiltWhilePackWaited = null;
        string? blobAtBranchMove = null;
        store.BeforePackWritten = () => indexBuiltWhilePackWaited ??= indexBuilt.Wait(TimeSpan.FromSeconds(10));
        store.AfterIndexBuilt = indexBuilt.Set;
        store.BeforeBranchMove = () => blobAtBranchMove ??= Tools.Git(_memory.BasePath, "cat-file", "-p", ":memory/failures/2.md");

        var sha = store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");

        Assert.True(indexBuiltWhilePackWaited);
        Assert.Equal("2", blobAtBranchMove); // the index written names a blob git finds: the pack was in place first
        Assert.Equal(sha, Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim());
        Assert.Equal(["memory/failures/1.md", "memory/failures/2.md"], GitHistory.TrackedFiles(_memory.BasePath).Order());
        Assert.Empty(Directory.GetFiles(Path.Combine(_memory.BasePath, ".git", "objects", "pack"), "*.keep"));
        Assert.Equal(0, Tools.Run("git", _memory.BasePath, "fsck", "--strict").ExitCode);
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Fact]
    public void A_commit_that_fails_while_its_pack_is_written_lets_the_pack_finish_and_keeps_nothing()
    {
        // The index step fails while the pack thread is still writing (docs/adr/0072): the commit waits for the pack
        // before it gives its keep file up; without that wait the pack's keep file, placed afterwards, stays for good.
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var before = Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();
        using var indexBuilt = new ManualResetEventSlim();
        store.BeforePackWritten = () => indexBuilt.Wait(TimeSpan.FromSeconds(10));
        store.AfterIndexBuilt = () =>
        {
            indexBuilt.Set();
            throw new InvalidOperationException("the index step failed");
        };

        Assert.Throws<InvalidOperationException>(() => store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n"));

        Assert.Equal(before, Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim());
        Assert.Empty(Tools.Git(_memory.BasePath, "diff", "--cached", "--name-only").Trim());
        store.BeforePackWritten = null;
        store.AfterIndexBuilt = null;
        // The next commit's pack is written on the same thread after the failed one's: once it is made, both packs are
        // complete, and whatever either kept is to be seen.
        store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");
        var packFolder = Path.Combine(_memory.BasePath, ".git", "objects", "pack");
        Assert.Empty(Directory.GetFiles(packFolder, "*.keep"));
        Assert.Empty(Directory.GetFiles(packFolder, "tmp_elf_*"));
        Assert.Equal(["memory/failures/1.md", "memory/failures/2.md"], GitHistory.TrackedFiles(_memory.BasePath).Order());
        Assert.Equal(0, Tools.Run("git", _memory.BasePath, "fsck", "--strict").ExitCode);
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Fact]
    public void A_persons_gc_prune_now_between_our_pack_and_our_branch_update_deletes_nothing_the_branch_needs()
    {
        // git gc --prune=now (repack -a -d) deletes every pack it lists at its start whose objects nothing reachable
        // needs: our batch's pack, written but not yet on the branch, unless its keep file protects it (docs/adr/0041).
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var keepsSeen = -1;
        store.BeforeBranchMove = () =>
        {
            if (keepsSeen >= 0) return;
            keepsSeen = Directory.GetFiles(Path.Combine(_memory.BasePath, ".git", "objects", "pack"), "*.keep").Length;
            Tools.Git(_memory.BasePath, "gc", "-q", "--prune=now");
        };

        var sha = store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");

        Assert.Equal(1, keepsSeen);
        Assert.Equal(sha, Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim());
        Assert.Equal("2", Tools.Git(_memory.BasePath, "show", "HEAD:memory/failures/2.md"));
        Assert.Equal(0, Tools.Run("git", _memory.BasePath, "fsck", "--strict").ExitCode);
        // Released once the branch points at it: the next repack may merge the pack (git's verdict: nothing kept).
        Assert.Empty(Directory.GetFiles(Path.Combine(_memory.BasePath, ".git", "objects", "pack"), "*.keep"));
        Tools.Git(_memory.BasePath, "gc", "-q", "--prune=now");
        Assert.Single(Directory.GetFiles(Path.Combine(_memory.BasePath, ".git", "objects", "pack"), "*.pack"));
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Fact]
    public void Trees_built_in_process_are_the_trees_git_builds_from_the_same_index()
    {
        GitStore.EnsureRepository(_memory.Paths);
        // Names around git's folder ordering ("memory" sorts as "memory/"), other modes, a nested folder.
        foreach (var name in new[] { "memory.txt", "memory-x/a", "memory0", "memory/failures.md", "memory/failures/sub/deep.md", "memory/failures/a.md", "memory/failures-b.md" })
            Write(name, name);
        Write("tool.sh", "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_memory.Paths.Absolute("tool.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(_memory.Paths.Absolute("link"), "tool.sh");
        Tools.Git(_memory.BasePath, "add", "-A");
        Tools.GitCommitAsPerson(_memory.BasePath, "person: layout");

        using var store = new GitStore(_memory.Paths);
        for (var batch = 0; batch < 3; batch++)
        {
            store.CommitFiles([Write($"memory/failures/{batch}-b.md", "b"), Write($"memory/failures/{batch}.md", "a"),
                Write($"memory/heuristics/d{batch}.md", "h"), Write($"memory/failures/sub/{batch}.md", "s")], $"batch {batch}\n");
            // git's own tree of the index (update-index put our files there) must be the tree we built.
            Assert.Equal(Tools.Git(_memory.BasePath, "write-tree").Trim(), Tools.Git(_memory.BasePath, "rev-parse", "HEAD^{tree}").Trim());
        }
        Tools.Git(_memory.BasePath, "fsck", "--strict", "--no-dangling");
        Assert.Equal("120000", Tools.Git(_memory.BasePath, "ls-tree", "HEAD", "link").Split(' ')[0]);
        Assert.Equal("100755", Tools.Git(_memory.BasePath, "ls-tree", "HEAD", "tool.sh").Split(' ')[0]);
        // The layout's trees on the new files' paths (root, memory, failures, failures/sub), once: later batches start from the trees they built.
        Assert.Equal(4, store.TreesRead);
        Assert.Empty(GitHistory.Status(_memory.BasePath));
    }

    [Fact]
    public void A_persons_commit_inside_the_records_folder_is_read_back_not_overwritten_by_remembered_trees()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        PersonCommits("memory/failures/1.md", "edited by a person");
        PersonCommits("memory/failures/person.md", "added by a person");

        store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");

        Assert.Equal("edited by a person", Tools.Git(_memory.BasePath, "show", "HEAD:memory/failures/1.md"));
        Assert.Equal(["memory/failures/1.md", "memory/failures/2.md", "memory/failures/person.md"], GitHistory.TrackedFiles(_memory.BasePath).Order());
        Assert.Equal(Tools.Git(_memory.BasePath, "write-tree").Trim(), Tools.Git(_memory.BasePath, "rev-parse", "HEAD^{tree}").Trim());
        Assert.Equal("failure: 2\n\nElf-Record: 2\n", Tools.Git(_memory.BasePath, "log", "-1", "--format=%B").TrimEnd('\n') + "\n");
        Tools.Git(_memory.BasePath, "fsck", "--strict", "--no-dangling");
    }

    [Fact]
    public void Moving_a_branch_is_a_compare_and_swap()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var tip = Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();
        var branch = Tools.Git(_memory.BasePath, "symbolic-ref", "HEAD").Trim();
        var wrongOld = new string('1', 40);

        Assert.Throws<GitBranchMovedException>(() => GitCli.Run(_memory.BasePath, ["update-ref", branch, tip, wrongOld]));
        Assert.Equal(tip, Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim());
    }

    [Fact]
    public void A_held_index_lock_is_reported_as_such_and_nothing_is_committed()
    {
        using var store = new GitStore(_memory.Paths);
        File.WriteAllText(Path.Combine(_memory.BasePath, ".git", "index.lock"), "");

        var error = Assert.Throws<GitLockHeldException>(() => store.CommitFiles([Write("memory/failures/x.md", "x")], "m"));

        Assert.EndsWith("index.lock", error.LockPath);
        Assert.Empty(GitHistory.Log(_memory.BasePath));
    }

    [Fact]
    public void Record_trailers_are_found_in_recent_history()
    {
        using var store = new GitStore(_memory.Paths);
        var start = DateTimeOffset.Now.AddMinutes(-1);
        var first = store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        PersonCommits("person.txt", "a person's file");
        var batch = store.CommitFiles([Write("memory/failures/2.md", "2"), Write("memory/failures/3.md", "3")],
            "elf: record 2 failures\n\nfailure: 2\nfailure: 3\n\nElf-Record: 2\nElf-Record: 3\n");

        var found = store.FindTrailerCommits(start);

        Assert.Equal(new Dictionary<string, string> { ["1"] = first, ["2"] = batch, ["3"] = batch }, found);
    }

    [Fact]
    public void Blobs_at_a_commit_are_the_blobs_git_lists_for_the_files_asked_about_in_every_folder()
    {
        // Several folders, the root, a path that is a folder, a missing file and a missing folder (BlobsAt reads each
        // folder's tree once: docs/adr/0035).
        using var store = new GitStore(_memory.Paths);
        PersonCommits("top.md", "top");
        PersonCommits("memory/heuristics/general.md", "h");
        for (var i = 0; i < 30; i++) Write($"memory/failures/f{i:D2}.md", "failure " + i);
        Tools.Git(_memory.BasePath, "add", "memory/failures");
        Tools.GitCommitAsPerson(_memory.BasePath, "person: failures");
        var tip = Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();
        string[] asked = ["top.md", "memory/heuristics/general.md", "memory/failures/f03.md", "memory/failures/f29.md", "memory/failures/f03.md",
            "memory/failures", "memory/failures/gone.md", "memory/nowhere/x.md", "memory"];

        var blobs = store.BlobsAt(tip, asked);

        var expected = Tools.Git(_memory.BasePath, "ls-tree", "-r", tip).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t')).Select(f => (Path: f[1], Blob: f[0].Split(' ')[2]))
            .Where(f => asked.Contains(f.Path)).ToDictionary(f => f.Path, f => f.Blob);
        Assert.Equal(4, expected.Count);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), blobs.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Files_in_path_order_are_what_git_lists_under_the_folder_in_the_same_order_as_sqlite_sorts_the_paths()
    {
        // A folder beside a file that sorts between its name and its contents ("a.md" < "a/" < "a0"), a folder whose name
        // extends another's ("a-b"), names with characters on both sides of the surrogates in UTF-16 (U+E000, U+FFFD
        // and an emoji above U+FFFF), and a file outside the folder.
        using var store = new GitStore(_memory.Paths);
        string[] names = ["memory/a.md", "memory/a/b.md", "memory/a/c/d.md", "memory/a-b/e.md", "memory/a0.md",
            "memory/failures/\uE000.md", "memory/failures/\uFFFD.md", "memory/failures/\U0001F600.md", "memory/failures/z.md",
            "memory/failures/é.md", "memory/heuristics/general.md", "top.md"];
        names = names.Select(n => System.Text.RegularExpressions.Regex.Unescape(n)).ToArray();
        foreach (var name in names) Write(name, "content of " + name);
        Tools.Git(_memory.BasePath, "add", "-A");
        Tools.GitCommitAsPerson(_memory.BasePath, "person: files");
        var tip = Tools.Git(_memory.BasePath, "rev-parse", "HEAD").Trim();

        var files = store.FilesInPathOrder(tip, "memory").ToList();

        // git's own listing, in git's order.
        var listed = Tools.Git(_memory.BasePath, "-c", "core.quotePath=false", "ls-tree", "-r", "-z", tip, "--", "memory")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Path: line[(line.IndexOf('\t') + 1)..], Blob: line[..line.IndexOf('\t')].Split(' ')[2])).ToList();
        Assert.Equal(names.Length - 1, listed.Count);
        Assert.Equal(listed, files);
        // SQLite's BINARY collation sorts the same paths the same way, and so does Utf8Order.
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE p(relpath TEXT); " + string.Join(' ', listed.Select((f, i) => $"INSERT INTO p VALUES ($p{i});"));
        for (var i = 0; i < listed.Count; i++) command.Parameters.AddWithValue($"$p{i}", listed[listed.Count - 1 - i].Path);
        command.ExecuteNonQuery();
        command.CommandText = "SELECT relpath FROM p ORDER BY relpath";
        var sorted = new List<string>();
        using (var reader = command.ExecuteReader())
            while (reader.Read()) sorted.Add(reader.GetString(0));
        Assert.Equal(listed.Select(f => f.Path), sorted);
        Assert.Equal(listed.Select(f => f.Path), listed.Select(f => f.Path).Reverse().Order(ElfActors.Core.Text.Utf8Order.Instance));
        Assert.NotEqual(listed.Select(f => f.Path), listed.Select(f => f.Path).Order(StringComparer.Ordinal)); // the case Utf8Order is for
    }

    public void Dispose() => _memory.Dispose();
}

/// <summary>
/// A git process in the repository that this test process did not start as its child or grandchild (a person's, as
/// the host sees it): `git cat-file --batch` reading a fifo, started by a shell that exits at once. It ends when the
/// fifo is closed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
file sealed class DetachedGit : IDisposable
{
    private readonly string _scratch;
    private FileStream? _writer;

    private DetachedGit(string scratch, int pid)
    {
        _scratch = scratch;
        Pid = pid;
    }

    public int Pid { get; }

    public static DetachedGit Start(string repository)
    {
        var scratch = Path.Combine(Path.GetTempPath(), "elf-person-git-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scratch);
        var fifo = Path.Combine(scratch, "stdin");
        Tools.Run("mkfifo", scratch, fifo);
        // The shell's own output goes to /dev/null first: no copy of the pipe Tools.Run reads stays open in git.
        var pidFile = Path.Combine(scratch, "pid");
        var (code, _, stderr) = Tools.Run("sh", repository, "-c", $"exec > /dev/null 2>&1; git cat-file --batch < '{fifo}' & echo $! > '{pidFile}'");
        Assert.True(code == 0, stderr);
        var git = new DetachedGit(scratch, int.Parse(File.ReadAllText(pidFile).Trim()));
        git._writer = new FileStream(fifo, FileMode.Open, FileAccess.Write); // opens once git's shell opened the fifo to read
        return git;
    }

    /// <summary>Waits until the process is git (its shell has exec'd it), read from /proc.</summary>
    public void WaitUntilRunning()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (File.ReadAllText($"/proc/{Pid}/comm").TrimEnd('\n') != "git")
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"pid {Pid} never became git");
            Thread.Sleep(10);
        }
    }

    /// <summary>Closes git's input: it exits; waits until /proc has no such process (it is reaped by init).</summary>
    public void End()
    {
        _writer?.Dispose();
        _writer = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (File.Exists($"/proc/{Pid}/comm") && File.ReadAllText($"/proc/{Pid}/comm").TrimEnd('\n') == "git" && !Zombie())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"git {Pid} did not end");
            Thread.Sleep(10);
        }
    }

    private bool Zombie()
    {
        try { return File.ReadAllText($"/proc/{Pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return true; }
    }

    public void Dispose()
    {
        End();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }
}
