using Akka.Actor;
using Akka.TestKit;
using ElfActors.Actors;
using ElfActors.Contracts;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A push into a remote on this machine killed while it held the branch's lock leaves <c>refs/heads/main.lock</c> in the
/// remote, and git refuses every later push until it goes (the fault matrix's sync scenario: clone 1's host killed while
/// its push ran, then every push of every clone failed for the rest of the run). With a real bare remote and real git;
/// the committer's integration answered by a probe (the remote has not moved: nothing to integrate).
/// </summary>
public sealed class SyncRemoteLockTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "elf-sync-lock-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _remote;
    private readonly string _clone;
    private readonly string _lock;

    public SyncRemoteLockTests() : base(ElfHocon.Default)
    {
        _remote = Path.Combine(_root, "remote.git");
        Tools.GitBareRemote(_remote, new Dictionary<string, string> { ["README.md"] = "remote\n" });
        _clone = Tools.GitClone(_remote, Path.Combine(_root, "clone"), "Machine", "m@x");
        Tools.Git(_clone, "commit", "-q", "--allow-empty", "-m", "a local commit to push");
        _lock = Path.Combine(_remote, "refs", "heads", "main.lock");
        File.WriteAllText(_lock, "");
    }

    private SyncProtocol.SyncResult Sync()
    {
        var committer = CreateTestProbe();
        committer.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is SyncProtocol.IntegrateUpstream integrate)
                sender.Tell(new SyncProtocol.Integrated(integrate.Number, new IntegrationOutcome(null, null, "nothing to integrate", []), null));
            return AutoPilot.KeepRunning;
        }));
        var settings = new SyncSettings(TimeSpan.FromHours(1), TimeSpan.FromSeconds(1), 3, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200),
            TimeSpan.FromSeconds(30), StaleLockAge: TimeSpan.FromSeconds(60));
        var sync = Sys.ActorOf(SyncActor.Props(new MemoryPaths(_clone), settings, committer.Ref, new SyncMonitor(), TimeProvider.System));
        sync.Tell(SyncProtocol.SyncNow.Instance, TestActor);
        // The round the actor's start begins answers it.
        return ExpectMsg<SyncProtocol.SyncResult>(TimeSpan.FromSeconds(30));
    }

    private string RemoteTip() => Tools.Git(_remote, "rev-parse", "refs/heads/main").Trim();
    private string LocalTip() => Tools.Git(_clone, "rev-parse", "HEAD").Trim();

    [Fact]
    public void A_stale_lock_no_process_holds_is_removed_and_the_push_lands()
    {
        File.SetLastWriteTimeUtc(_lock, DateTime.UtcNow.AddMinutes(-5));
        var result = Sync();
        Assert.True(result.Ok, result.Message);
        Assert.False(File.Exists(_lock));
        Assert.Equal(LocalTip(), RemoteTip());
        Assert.Equal("", Tools.Git(_remote, "fsck", "--strict", "--no-progress").Trim());
    }

    [Fact]
    public void A_young_lock_stays_and_the_round_says_why_the_push_failed()
    {
        var before = RemoteTip();
        var result = Sync();
        Assert.False(result.Ok);
        Assert.Contains("cannot lock ref", result.Message);
        Assert.Contains("main.lock", result.Message);
        Assert.True(File.Exists(_lock));
        Assert.Equal(before, RemoteTip());
    }

    [Fact]
    public void An_old_lock_a_process_has_open_stays()
    {
        File.SetLastWriteTimeUtc(_lock, DateTime.UtcNow.AddMinutes(-5));
        using var held = new FileStream(_lock, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var result = Sync();
        Assert.False(result.Ok);
        Assert.True(File.Exists(_lock));
    }

    [Fact]
    public void The_lock_is_read_from_gits_own_refusal()
    {
        var push = GitCli.TryRun(_clone, ["push", "--porcelain", "origin", "HEAD:refs/heads/main"]);
        Assert.False(push.Succeeded);
        Assert.Equal(Path.GetFullPath(_lock), SyncGit.RemoteRefLock(push));
        Assert.StartsWith("refs/heads/main: [remote rejected]", SyncGit.PushFailure(push));
        Assert.True(SyncGit.IsRejectedAsBehind(push), "a lock held by another machine's push is retried like a push that lost the race");
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
