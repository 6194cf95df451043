using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Core.Audit;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// Every acknowledged record stays reachable from the memory's branch tip while a person runs git in the same
/// repository (docs/adr/0018): real git commands, checked with git and sqlite3.
/// </summary>
public sealed class ReachabilityTests(ITestOutputHelper output)
{
    private static async Task<List<Recorded>> RecordAsync(ElfTestHost host, int from, int count)
    {
        var recorded = new List<Recorded>();
        for (var i = from; i < from + count; i++)
            recorded.Add(Assert.IsType<Recorded>(await host.RecordAsync(Support.Failures.Request(i))));
        return recorded;
    }

    /// <summary>Whether the committer answers "all committed" within <paramref name="wait"/> (it must not while it holds).</summary>
    private static async Task<bool> FlushesWithin(ElfTestHost host, TimeSpan wait)
    {
        try
        {
            await host.Committer.Ask<CommitterProtocol.AllCommitted>(CommitterProtocol.AwaitAllCommitted.Instance, wait);
            return true;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Records_a_reset_to_an_older_commit_threw_away_are_committed_again_once()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var records = new List<Recorded>();
        for (var round = 0; round < 4; round++)
        {
            records.AddRange(await RecordAsync(host, round * 5, 5));
            await host.FlushAsync();
        }
        Assert.True(GitHistory.Log(memory.BasePath).Count >= 4);

        var older = Tools.Git(memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD~2").Split('\n').ToHashSet();
        var missing = records.Count(r => !older.Contains(r.RelativePath));
        Assert.True(missing > 0, "the reset throws no record away");
        Tools.GitAsPerson(memory.BasePath, "reset", "-q", "--hard", "HEAD~2");
        records.AddRange(await RecordAsync(host, 100, 3));
        await host.FlushAsync();

        output.WriteLine($"{missing} records thrown away by the reset");
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
        var verify = MemoryVerifier.Verify(memory.Paths);
        Assert.True(verify.Consistent && verify.Unreachable.Count == 0 && verify.Deleted.Count == 0, string.Join("\n", verify.Unreachable));
    }

    /// <summary>Polls a real condition until it holds, or fails the test with <paramref name="what"/> after <paramref name="within"/>.</summary>
    private static async Task Until(Func<bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {within.TotalSeconds} s: {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_reset_made_while_the_host_rests_is_repaired_with_no_request_and_no_sweep()
    {
        // No timer could find the reset (both sweeps 10 minutes away): only the watch of the git folder can (docs/adr/0042).
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, """
            elf.committer.sweep-interval = 600s
            elf.committer.idle-sweep-interval = 600s
            """);
        var records = new List<Recorded>();
        for (var round = 0; round < 3; round++)
        {
            records.AddRange(await RecordAsync(host, round * 5, 5));
            await host.FlushAsync();
        }
        var older = Tools.Git(memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD~1").Split('\n').ToHashSet();
        var thrownAway = records.Where(r => !older.Contains(r.RelativePath)).ToList();
        Assert.NotEmpty(thrownAway);
        await Until(() => host.Options.Monitor.CommitterResting, TimeSpan.FromSeconds(30), "the committer rests once everything is committed");

        var resetTo = Tools.Git(memory.BasePath, "rev-parse", "HEAD~1").Trim();
        Tools.GitAsPerson(memory.BasePath, "reset", "-q", "--hard", "HEAD~1");
        // Not "the files are gone": the watch may see the reset and write them back before this line runs. The branch's
        // own log says the reset happened; the end says the records were committed again on top of where it went.
        Assert.Contains("reset: moving to HEAD~1", Tools.Git(memory.BasePath, "reflog", "--format=%gs", "HEAD"));
        // No request from here on: the host is told nothing.
        await Until(() =>
        {
            var tracked = Tools.Git(memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD").Split('\n').ToHashSet();
            return records.All(r => tracked.Contains(r.RelativePath))
                && Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL") == 0;
        }, TimeSpan.FromSeconds(60), "every record the reset threw away is back at the tip and marked");

        output.WriteLine($"{thrownAway.Count} records thrown away by the reset, committed again");
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
        // HEAD's own log: the host committed after the reset (the commit may be byte-identical to the one thrown away:
        // same tree, parent, message and second).
        var moves = Tools.Git(memory.BasePath, "reflog", "--format=%gs", "HEAD").Split('\n');
        Assert.True(Array.IndexOf(moves, "reset: moving to HEAD~1") > 0, string.Join("\n", moves));
        Assert.Equal(0, Tools.Run("git", memory.BasePath, "merge-base", "--is-ancestor", resetTo, "HEAD").ExitCode);
        await Until(() => host.Options.Monitor.CommitterResting, TimeSpan.FromSeconds(30), "the committer rests again");
    }

    [Fact]
    public async Task While_HEAD_is_on_another_branch_records_wait_and_then_land_on_the_memory_branch()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var records = await RecordAsync(host, 0, 3);
        await host.FlushAsync();
        var branch = Tools.Git(memory.BasePath, "symbolic-ref", "--short", "HEAD").Trim();
        var before = Tools.Git(memory.BasePath, "rev-parse", "HEAD");

        Tools.GitAsPerson(memory.BasePath, "checkout", "-q", "-b", "other");
        records.AddRange(await RecordAsync(host, 10, 4));
        Assert.False(await FlushesWithin(host, TimeSpan.FromSeconds(1.5)), "flush answered while HEAD was on another branch");
        Assert.Equal(Tools.Git(memory.BasePath, "rev-parse", branch), Tools.Git(memory.BasePath, "rev-parse", "other"));
        Assert.Equal(4, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));

        Tools.GitAsPerson(memory.BasePath, "checkout", "-q", branch);
        await host.FlushAsync();

        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
        Assert.Equal(before, Tools.Git(memory.BasePath, "rev-parse", "other")); // nothing of the host's went to the other branch
    }

    [Fact]
    public async Task A_record_a_person_deleted_with_their_own_commit_stays_deleted_and_is_reported()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var records = await RecordAsync(host, 0, 3);
        await host.FlushAsync();

        Tools.GitAsPerson(memory.BasePath, "rm", "-q", records[1].RelativePath);
        Tools.GitAsPerson(memory.BasePath, "commit", "-qm", "remove a record I do not want");
        records.AddRange(await RecordAsync(host, 10, 2));
        await host.FlushAsync();

        var tracked = GitHistory.TrackedFiles(memory.BasePath);
        Assert.DoesNotContain(records[1].RelativePath, tracked);
        Assert.All(records.Where(r => r != records[1]), r => Assert.Contains(r.RelativePath, tracked));
        var verify = MemoryVerifier.Verify(memory.Paths);
        Assert.Empty(verify.Unreachable);
        Assert.Contains(verify.Deleted, d => d.Contains(records[1].RelativePath, StringComparison.Ordinal));
    }

    /// <summary>
    /// git's own race (docs/adr/0048): a person's git that read git's index before the host staged a batch (a
    /// `cherry-pick` between its start and its commit) commits that index onto the host's commit, without the batch's
    /// files. It looks like the person's deliberate deletion; it is not, as that git was running when the branch moved.
    /// Here the person's git starts where no look can see it (after staging, before `update-ref`; detached, so it is not
    /// the host's child) and waits; its commit is made with real git commands that leave the record out.
    /// </summary>
    [Fact]
    public async Task A_record_left_out_by_a_git_that_ran_through_the_hosts_commit_is_committed_again_and_staged()
    {
        using var memory = new TempMemory();
        var release = Path.Combine(memory.BasePath, ".git", "release-the-person");
        var armed = 0;
        IGitStore Factory(MemoryPaths paths)
        {
            var store = (GitStore)GitStore.Factory(paths);
            store.BeforeBranchMove = () =>
            {
                if (Interlocked.Exchange(ref armed, 0) != 1) return;
                // A git (an alias that waits) detached from this process: the host's look after the move must find it.
                var started = Tools.Run("setsid", paths.BasePath, "-f", "sh", "-c",
                    "exec git -c alias.wait=\"!f() { while [ ! -e \\\"$0\\\" ]; do sleep 0.05; done; }; f\" wait \"$0\" </dev/null >/dev/null 2>&1", release);
                Assert.Equal(0, started.ExitCode);
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (PersonGit.AllRunningNow(paths.BasePath).Count == 0 && DateTime.UtcNow < deadline) Thread.Sleep(10); // until it has exec'd git
            };
            return store;
        }
        await using var host = await ElfTestHost.StartAsync(memory.Paths, gitStoreFactory: Factory);
        var records = await RecordAsync(host, 0, 3);
        await host.FlushAsync();

        Interlocked.Exchange(ref armed, 1);
        var leftOut = (await RecordAsync(host, 10, 1))[0];
        await Until(() => Tools.Git(memory.BasePath, "ls-tree", "--name-only", "HEAD", "--", leftOut.RelativePath).Trim() == leftOut.RelativePath,
            TimeSpan.FromSeconds(30), "the host's commit of the record");
        Assert.Equal(0, armed);
        var hostsCommit = Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim();
        // The person's git commits the index it read: the record's file left out, onto the host's commit.
        Tools.GitAsPerson(memory.BasePath, "rm", "-q", "--cached", leftOut.RelativePath);
        Tools.GitAsPerson(memory.BasePath, "commit", "-qm", "the person's cherry-picked change");
        var personsCommit = Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim();
        File.WriteAllText(release, "");
        await Until(() => PersonGit.AllRunningNow(memory.BasePath).Count == 0, TimeSpan.FromSeconds(20), "the person's git to end");
        records.AddRange(await RecordAsync(host, 20, 2));
        await host.FlushAsync();
        records.Add(leftOut);

        // Read back with git: every record in the tip, the person's commit kept, git's index and the tree agreeing.
        var tracked = GitHistory.TrackedFiles(memory.BasePath);
        Assert.All(records, r => Assert.Contains(r.RelativePath, tracked));
        Assert.Equal(0, Tools.Run("git", memory.BasePath, "merge-base", "--is-ancestor", personsCommit, "HEAD").ExitCode);
        Assert.Equal(0, Tools.Run("git", memory.BasePath, "merge-base", "--is-ancestor", hostsCommit, "HEAD").ExitCode);
        Assert.Equal("", Tools.Git(memory.BasePath, "status", "--porcelain", "--untracked-files=all", "--", "memory/failures").Trim());
        var verify = MemoryVerifier.Verify(memory.Paths);
        Assert.True(verify.Consistent && verify.Unreachable.Count == 0 && verify.Deleted.Count == 0,
            string.Join("\n", verify.Unreachable.Concat(verify.Deleted)));
    }

    [Fact]
    public async Task Commits_wait_while_a_persons_merge_is_in_progress_and_their_merge_commit_succeeds()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var records = await RecordAsync(host, 0, 2);
        await host.FlushAsync();
        var branch = Tools.Git(memory.BasePath, "symbolic-ref", "--short", "HEAD").Trim();
        File.WriteAllText(Path.Combine(memory.BasePath, "notes.txt"), "base\n");
        Tools.GitAsPerson(memory.BasePath, "add", "notes.txt");
        Tools.GitAsPerson(memory.BasePath, "commit", "-qm", "notes");
        Tools.GitAsPerson(memory.BasePath, "checkout", "-q", "-b", "side");
        File.WriteAllText(Path.Combine(memory.BasePath, "notes.txt"), "side\n");
        Tools.GitAsPerson(memory.BasePath, "commit", "-qam", "side notes");
        Tools.GitAsPerson(memory.BasePath, "checkout", "-q", branch);
        File.WriteAllText(Path.Combine(memory.BasePath, "notes.txt"), "main\n");
        Tools.GitAsPerson(memory.BasePath, "commit", "-qam", "main notes");
        var (code, _, _) = Tools.Run("git", memory.BasePath, "-c", "user.name=P", "-c", "user.email=p@x", "merge", "side");
        Assert.NotEqual(0, code); // a conflict: MERGE_HEAD stays until the person resolves it
        var tipDuringMerge = Tools.Git(memory.BasePath, "rev-parse", "HEAD");

        records.AddRange(await RecordAsync(host, 10, 3));
        Assert.False(await FlushesWithin(host, TimeSpan.FromSeconds(1.5)), "flush answered during the person's merge");
        Assert.Equal(tipDuringMerge, Tools.Git(memory.BasePath, "rev-parse", "HEAD"));

        File.WriteAllText(Path.Combine(memory.BasePath, "notes.txt"), "both\n");
        Tools.GitAsPerson(memory.BasePath, "add", "notes.txt");
        Tools.GitAsPerson(memory.BasePath, "commit", "-q", "--no-edit");
        await host.FlushAsync();

        var log = GitHistory.Log(memory.BasePath);
        Assert.Contains(log, c => c.Message.StartsWith("Merge branch 'side'", StringComparison.Ordinal));
        Assert.Equal("both\n", Tools.Git(memory.BasePath, "show", "HEAD:notes.txt"));
        var trailers = log.SelectMany(c => c.RecordTrailers).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(records, r => Assert.Equal(1, trailers.GetValueOrDefault(r.RecordId)));
        Assert.All(records, r => Assert.Contains(r.RelativePath, GitHistory.TrackedFiles(memory.BasePath)));
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }
}
