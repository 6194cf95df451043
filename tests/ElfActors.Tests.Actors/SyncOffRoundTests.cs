using ElfActors.Actors;
using ElfActors.Contracts;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A memory whose branch has no upstream: sync is off, and the round after each second of commits looked again with
/// three git processes (on the hot path's two cores, beside the next records). It now looks again only once HEAD or a
/// git config file changed (docs/adr/0082), and a person who then sets an upstream has the next commit's round push.
/// A real remote and clone; the committer is a probe.
/// </summary>
public sealed class SyncOffRoundTests() : Akka.TestKit.Xunit2.TestKit(ElfHocon.Default)
{
    // With AwaitCondition's default pause between looks this test took 16 s (about 3 s after each round, traced); a round takes milliseconds.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "elf-sync-off-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public void Without_an_upstream_a_commits_round_runs_no_git_until_the_config_changes_and_then_it_pushes()
    {
        var remote = Path.Combine(_root, "remote.git");
        Tools.GitBareRemote(remote, new Dictionary<string, string> { ["README.md"] = "one memory\n" });
        var clone = Tools.GitClone(remote, Path.Combine(_root, "clone"), "Machine", "m@x");
        Tools.Git(clone, "branch", "--unset-upstream");
        var branch = Tools.Git(clone, "symbolic-ref", "--short", "HEAD").Trim();
        var monitor = new SyncMonitor();
        var settings = new SyncSettings(TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(50), 3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
        var committer = CreateTestProbe();
        Sys.ActorOf(SyncActor.Props(new MemoryPaths(clone), settings, committer.Ref, monitor, TimeProvider.System));

        // The start's round looks, and finds no upstream.
        AwaitCondition(() => monitor.RoundsOff == 1, TimeSpan.FromSeconds(30), Poll);
        Assert.StartsWith("off: ", monitor.Read().State);
        Assert.Equal(1, monitor.UpstreamLooks);

        // Rounds after commits, nothing changed in git's config or HEAD: no look.
        for (var round = 2; round <= 4; round++)
        {
            Sys.EventStream.Publish(new CommitterProtocol.RecordsCommitted([round], new string('a', 40), DateTimeOffset.UtcNow));
            AwaitCondition(() => monitor.RoundsOff == round, TimeSpan.FromSeconds(30), Poll);
        }
        Assert.Equal(1, monitor.UpstreamLooks);

        // The person sets the upstream and commits: the next commit's round looks, fetches and has it integrated, then pushes.
        Tools.Git(clone, "branch", "-q", "--set-upstream-to", "origin/" + branch);
        File.WriteAllText(Path.Combine(clone, "local.md"), "a local commit\n");
        Tools.Git(clone, "add", "local.md");
        Tools.GitCommitAsPerson(clone, "local commit");
        var local = Tools.Git(clone, "rev-parse", "HEAD").Trim();
        Sys.EventStream.Publish(new CommitterProtocol.RecordsCommitted([5], local, DateTimeOffset.UtcNow));
        var integrate = committer.ExpectMsg<SyncProtocol.IntegrateUpstream>(TimeSpan.FromSeconds(30));
        committer.Reply(new SyncProtocol.Integrated(integrate.Number, IntegrationOutcome.Nothing, null));
        AwaitCondition(() => monitor.Read().LastSyncAt is not null, TimeSpan.FromSeconds(30), Poll);
        Assert.Equal(2, monitor.UpstreamLooks);
        Assert.Equal(local, Tools.Git(remote, "rev-parse", branch).Trim());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Tools.DeleteTree(_root);
    }
}
