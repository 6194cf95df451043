using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Contracts;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A sync round whose git cannot run at all (the memory's folder removed under a running host) ends with that error
/// and waits for the next round: it must not crash the actor, whose start begins a round at once (a restart loop
/// that spun a core in every host left running over a deleted test memory).
/// </summary>
public sealed class SyncActorFailureTests() : Akka.TestKit.Xunit2.TestKit(ElfHocon.Default)
{
    [Fact]
    public void A_round_whose_git_cannot_run_ends_with_its_error_and_the_actor_is_not_restarted()
    {
        var gone = Path.Combine(Path.GetTempPath(), "elf-sync-gone-" + Guid.NewGuid().ToString("N"));
        var monitor = new SyncMonitor();
        var settings = new SyncSettings(TimeSpan.FromHours(1), TimeSpan.FromSeconds(1), 3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
        var committer = CreateTestProbe();
        var sync = Sys.ActorOf(SyncActor.Props(new MemoryPaths(gone), settings, committer.Ref, monitor, TimeProvider.System));
        Watch(sync);

        AwaitCondition(() => monitor.Read().LastError is not null, TimeSpan.FromSeconds(20));
        var first = monitor.Read();
        Assert.Contains("sync failed", first.LastError);
        // No restart loop: the actor is alive and no further round starts before the (hour-long) interval.
        ExpectNoMsg(TimeSpan.FromSeconds(1));
        Assert.Equal(first.LastErrorAt, monitor.Read().LastErrorAt);
        sync.Tell(SyncProtocol.SyncNow.Instance, TestActor);
        var answer = ExpectMsg<SyncProtocol.SyncResult>(TimeSpan.FromSeconds(20));
        Assert.False(answer.Ok);
    }
}
