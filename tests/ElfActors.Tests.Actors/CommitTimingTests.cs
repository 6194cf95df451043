using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// elf.committer.one-by-one-wait (ADR 0073): with records coming one by one, a commit whose min-commit-interval has ended
/// starts right after the next record is placed, not inside its request; a lone record and `elf flush` are not held by it.
/// History is read with git, not through the committer.
/// </summary>
public sealed class CommitTimingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Records_one_by_one_a_commit_whose_interval_ended_waits_for_the_next_record_and_takes_it_along()
    {
        using var memory = new TempMemory();
        // A wait far longer than the test (and no periodic look, which runs a waiting commit too): whether the commit waited
        // for the next record is then plain in git's history.
        await using var host = await ElfTestHost.StartAsync(memory.Paths, """
            elf.committer.min-commit-interval = 2s
            elf.committer.one-by-one-wait = 10m
            elf.committer.sweep-interval = 10m
            """);
        var kit = host.Kit(output);
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));
        await kit.AwaitConditionAsync(() => Task.FromResult(GitHistory.Log(memory.BasePath).Count == 1), TimeSpan.FromSeconds(10));

        // Record 1 comes within the interval; the interval then ends with no record on its way. Before ADR 0073 the commit
        // of record 1 started at the interval's end; now it waits for the next record's doorbell. The pause is the
        // behaviour tested (the interval ending), not a synchronisation.
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(1)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Single(GitHistory.Log(memory.BasePath));

        // Record 2 is placed: the commit starts right after it, and takes both.
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(2)));
        await kit.AwaitConditionAsync(() => Task.FromResult(GitHistory.Log(memory.BasePath).Count == 2), TimeSpan.FromSeconds(10));
        var log = GitHistory.Log(memory.BasePath);
        Assert.Equal(2, log[0].RecordTrailers.Count());

        // A flush does not wait for a next record: the waiting commit runs for it at once (the wait is 10 minutes).
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(3)));
        await Task.Delay(TimeSpan.FromSeconds(3)); // the interval has ended: the commit waits for a doorbell
        await host.FlushAsync(TimeSpan.FromSeconds(30));
        log = GitHistory.Log(memory.BasePath);
        Assert.Equal(3, log.Count);
        Assert.Single(log[0].RecordTrailers);
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }

    [Fact]
    public async Task A_flush_that_comes_before_the_interval_ends_is_answered_once_committed_without_waiting_for_a_next_record()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, """
            elf.committer.min-commit-interval = 2s
            elf.committer.one-by-one-wait = 10m
            elf.committer.sweep-interval = 10m
            """);
        var kit = host.Kit(output);
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));
        await kit.AwaitConditionAsync(() => Task.FromResult(GitHistory.Log(memory.BasePath).Count == 1), TimeSpan.FromSeconds(10));
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(1)));
        // Told within the 2 s interval: it ends with a flush waiting, and the commit runs then.
        await host.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, GitHistory.Log(memory.BasePath).Count);
    }

    [Fact]
    public async Task With_the_defaults_a_lone_record_after_a_commit_is_committed_without_any_other_doorbell()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var kit = host.Kit(output);
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));
        await kit.AwaitConditionAsync(() => Task.FromResult(GitHistory.Log(memory.BasePath).Count == 1), TimeSpan.FromSeconds(10));
        // Within the 100 ms interval, and no record after it: committed once the 20 ms wait for a next record has passed.
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(1)));
        await kit.AwaitConditionAsync(() => Task.FromResult(GitHistory.Log(memory.BasePath).Count == 2), TimeSpan.FromSeconds(10));
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }
}
