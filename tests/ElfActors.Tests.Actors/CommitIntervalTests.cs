using ElfActors.Actors;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// elf.committer.min-commit-interval (ADR 0049): records that arrive one by one soon after a commit share the next
/// commit instead of paying a commit each. History is read with git, not through the committer.
/// </summary>
public sealed class CommitIntervalTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Records_arriving_one_by_one_right_after_a_commit_share_the_next_commit()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, "elf.committer.min-commit-interval = 3s");
        var kit = host.Kit(output);
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));
        // The first commit does not wait: nothing was committed before it.
        await kit.AwaitConditionAsync(() => Task.FromResult(GitHistory.Log(memory.BasePath).Count == 1), TimeSpan.FromSeconds(10));

        // One at a time, each acknowledged before the next is sent: without the interval the first of them is alone
        // in a commit started as soon as it rang, and the others follow in one or two more.
        for (var i = 1; i <= 3; i++) Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(i)));
        await host.FlushAsync(TimeSpan.FromSeconds(30));

        var log = GitHistory.Log(memory.BasePath);
        Assert.Equal(2, log.Count);
        Assert.Equal(3, log[0].RecordTrailers.Count());
        Assert.Single(log[1].RecordTrailers);
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }

}
