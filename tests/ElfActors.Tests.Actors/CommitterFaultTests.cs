using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>Git fails under the committer; its supervisor restarts it and every record still lands exactly once.</summary>
[Trait("Category", "FaultMatrix")]
public sealed class CommitterFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Faults_before_and_after_a_commit_restart_the_committer_and_lose_or_duplicate_nothing()
    {
        using var memory = new TempMemory();
        // Calls 1, 4 and 6 fail as a held lock does; calls 2 and 5 fail after the commit was made, as a crash
        // between committing and marking the outbox does. The restarted committer must find those by trailer.
        var plan = new GitFaultPlan { FailBeforeCommit = [1, 4, 6], FailAfterCommit = [2, 5] };
        // Small batches so that the load spans many commit calls.
        await using var host = await ElfTestHost.StartAsync(memory.Paths, "elf.committer.max-batch-size = 20", plan.Factory);
        var probe = host.Kit(output).CreateTestProbe();

        const int writers = 300;
        for (var i = 0; i < writers; i++) host.Recording.Tell(Failures.Request(i), probe.Ref);
        var replies = probe.ReceiveN(writers, TimeSpan.FromSeconds(120)).ToList();
        Assert.All(replies, reply => Assert.IsType<Recorded>(reply));

        await host.FlushAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(5, plan.InjectedFaults);
        Assert.True(plan.StoresCreated >= 6, $"the committer started {plan.StoresCreated} times; each fault should restart it");
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, replies.Cast<Recorded>().ToList());
    }

    [Fact]
    public async Task A_git_clean_fdx_between_reading_and_staging_a_commit_neither_restarts_the_committer_nor_waits_for_the_orphan_grace()
    {
        using var memory = new TempMemory();
        // At the first commit call, after the committer read the record's file: a person's `git clean -fdx` removes it
        // (untracked) and memory/index.db (ignored). A new repository's first commit is staged by git's update-index,
        // which fails on the missing path. A restarted committer would forget that the recorder placed the file and
        // wait the orphan grace (120 s) to write it again.
        var plan = new GitFaultPlan { BeforeCommit = call => { if (call == 1) Tools.Git(memory.BasePath, "clean", "-fdxq"); } };
        await using var host = await ElfTestHost.StartAsync(memory.Paths, gitStoreFactory: plan.Factory);
        var recorded = Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));

        await host.FlushAsync(TimeSpan.FromSeconds(45));
        Assert.True(plan.CommitCalls >= 2, $"{plan.CommitCalls} commit calls: the clean ran at the first");
        Assert.Equal(1, host.Options.Monitor.CommitterStarts);
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, [recorded]);
    }

    [Fact]
    public async Task A_committer_restarted_while_the_index_file_is_gone_waits_for_the_writer_to_put_it_back_and_commits_nothing_twice()
    {
        using var memory = new TempMemory();
        // Call 2: memory/index.db is removed (a person's rm) and the commit is made, then fails before its records are
        // marked: the restarted committer starts with no index file. Opening one there would make an empty index whose
        // outbox knows nothing of that commit.
        var plan = new GitFaultPlan
        {
            FailAfterCommit = [2],
            BeforeCommit = call =>
            {
                if (call != 2) return;
                foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(memory.DatabasePath + suffix);
            },
        };
        await using var host = await ElfTestHost.StartAsync(memory.Paths, gitStoreFactory: plan.Factory);
        var first = Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));
        await host.FlushAsync();
        var second = Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(1)));

        await host.FlushAsync();
        Assert.Equal(1, plan.InjectedFaults);
        Assert.Equal(2, host.Options.Monitor.CommitterStarts);
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, [first, second]);
        // No index was made at the path meanwhile (the writer would have moved it aside).
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(memory.DatabasePath)!, "index.db-replaced-*"));
    }

    [Fact]
    public async Task A_lock_held_by_another_git_delays_commits_until_it_is_released()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var kit = host.Kit(output);
        var indexLock = Path.Combine(memory.BasePath, ".git", "index.lock");
        await File.WriteAllTextAsync(indexLock, string.Empty); // as a running `git add` holds it

        var probe = kit.CreateTestProbe();
        for (var i = 0; i < 20; i++) host.Recording.Tell(Failures.Request(i), probe.Ref);
        var replies = probe.ReceiveN(20, TimeSpan.FromSeconds(30)).ToList();
        Assert.All(replies, reply => Assert.IsType<Recorded>(reply)); // recording keeps acknowledging

        // While the lock is held the committer waits (no restarts) and says what it waits for.
        await kit.AwaitConditionAsync(() => Task.FromResult(host.Options.Monitor.CommitterState.StartsWith("waiting: .git/index.lock held since", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30));
        Assert.Empty(GitHistory.Log(memory.BasePath));
        Assert.Equal(1, host.Options.Monitor.CommitterStarts);

        File.Delete(indexLock);
        await host.FlushAsync();
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, replies.Cast<Recorded>().ToList());
        Assert.Equal(1, host.Options.Monitor.CommitterStarts);
        Assert.Equal("idle", host.Options.Monitor.CommitterState);
    }
}

