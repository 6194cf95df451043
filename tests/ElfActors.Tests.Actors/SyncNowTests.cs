using ElfActors.Actors;
using ElfActors.Contracts;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Actors;

/// <summary>
/// `elf sync --now` runs a whole round after it is asked and answers for that one (docs/sync.md): asked while a round
/// runs (the interval's, or the one after a commit), it is not answered by that round, which fetched before the asker's
/// request. A real remote and clones; the committer is a probe, so the round stands still where the test needs it.
/// </summary>
public sealed class SyncNowTests() : Akka.TestKit.Xunit2.TestKit(ElfHocon.Default)
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "elf-sync-now-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public void Sync_now_asked_during_a_round_is_answered_by_a_round_that_fetched_after_it()
    {
        var remote = Path.Combine(_root, "remote.git");
        Tools.GitBareRemote(remote, new Dictionary<string, string> { ["README.md"] = "one memory\n" });
        var clone = Tools.GitClone(remote, Path.Combine(_root, "clone"), "Machine", "m@x");
        var settings = new SyncSettings(TimeSpan.FromHours(1), TimeSpan.FromSeconds(1), 3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
        var committer = CreateTestProbe();
        var sync = Sys.ActorOf(SyncActor.Props(new MemoryPaths(clone), settings, committer.Ref, new SyncMonitor(), TimeProvider.System));

        // The start's round has fetched and waits for the integration.
        var first = committer.ExpectMsg<SyncProtocol.IntegrateUpstream>(TimeSpan.FromSeconds(30));
        // Another machine pushes, then the person asks.
        var other = Tools.GitClone(remote, Path.Combine(_root, "other"), "Other", "o@x");
        File.WriteAllText(Path.Combine(other, "other.md"), "from the other machine\n");
        Tools.Git(other, "add", "other.md");
        Tools.GitCommitAsPerson(other, "other machine's commit");
        Tools.Git(other, "push", "-q", "origin", "HEAD:main");
        var pushed = Tools.Git(remote, "rev-parse", "main").Trim();
        sync.Tell(SyncProtocol.SyncNow.Instance, TestActor);
        committer.Reply(new SyncProtocol.Integrated(first.Number, IntegrationOutcome.Nothing, null));

        // Not answered by the round that fetched before the request: the next one fetches the other machine's commit.
        var second = committer.ExpectMsg<SyncProtocol.IntegrateUpstream>(TimeSpan.FromSeconds(30));
        Assert.Equal(pushed, second.UpstreamTip);
        Assert.False(HasMessages, "answered by the round that fetched before the request");
        committer.Reply(new SyncProtocol.Integrated(second.Number, IntegrationOutcome.Nothing, null));
        var answer = ExpectMsg<SyncProtocol.SyncResult>(TimeSpan.FromSeconds(30));
        // The probe integrated nothing: the answer counts the commit the other machine pushed before the request.
        Assert.Equal(1, answer.Behind);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Tools.DeleteTree(_root);
    }
}
