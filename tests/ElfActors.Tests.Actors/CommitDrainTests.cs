using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using ElfActors.Actors;
using Xunit.Abstractions;

namespace ElfActors.Tests.Actors;

/// <summary>
/// The shutdown drain (CommitDrain) with a probe as the committer: a stop waits for the committer's "all committed",
/// and a cluster node that was downed stops at once, without asking a committer it can no longer reach.
/// </summary>
public sealed class CommitDrainTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.coordinated-shutdown.phases.service-stop.timeout = 120s"), output: output)
{
    [Fact]
    public async Task A_stop_waits_until_the_committer_says_everything_is_committed()
    {
        var committer = CreateTestProbe();
        var monitor = new ElfMonitor();
        CommitDrain.Register(Sys, committer.Ref, monitor);

        var shutdown = CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance);
        committer.ExpectMsg<CommitterProtocol.AwaitAllCommitted>();
        Assert.False(shutdown.IsCompleted, "the shutdown went on before the committer answered");
        Assert.False(monitor.Drained);
        committer.Reply(new CommitterProtocol.AllCommitted(7));

        await shutdown.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(monitor.Drained);
    }

    [Fact]
    public async Task A_downed_cluster_node_stops_without_waiting_for_the_committer()
    {
        var committer = CreateTestProbe(); // never answers: a committer out of reach
        var monitor = new ElfMonitor();
        CommitDrain.Register(Sys, committer.Ref, monitor);

        var clock = Stopwatch.StartNew();
        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClusterDowningReason.Instance).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the downed node took {clock.Elapsed} to stop");
        committer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.False(monitor.Drained);
    }
}
