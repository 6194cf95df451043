using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using ElfActors.Contracts;
using ElfActors.Core;
using ElfActors.Core.Git;
using static ElfActors.Actors.SyncProtocol;

namespace ElfActors.Actors;

/// <summary>
/// The <c>elf.sync</c> section (hocon/elf.hocon), with <c>$ELF_SYNC_INTERVAL</c> (seconds) over the interval. Durations are
/// read with <see cref="HoconDuration"/> (Akka's reading without its compiled regular expression, docs/adr/0064), as
/// <see cref="ElfSettings"/> reads them.
/// </summary>
public sealed record SyncSettings(TimeSpan Interval, TimeSpan AfterCommit, int PushAttempts, TimeSpan RetryMin, TimeSpan RetryMax, TimeSpan IntegrateTimeout,
    TimeSpan StaleLockAge)
{
    public const string Dispatcher = "elf.dispatchers.sync";
    public const string IntervalVariable = "ELF_SYNC_INTERVAL";

    public bool Enabled => Interval > TimeSpan.Zero;

    public static SyncSettings From(Config root)
    {
        var sync = root.GetConfig("elf.sync") ?? throw new ConfigurationException("the HOCON configuration has no 'elf.sync' section");
        var interval = HoconDuration.Read(sync, "interval");
        if (Environment.GetEnvironmentVariable(IntervalVariable) is { Length: > 0 } variable)
        {
            if (!double.TryParse(variable, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                || seconds < 0 || seconds > 86_400)
                throw new ConfigurationException($"${IntervalVariable} must be a number of seconds from 0 (sync off) to 86400 (got '{variable}')");
            interval = TimeSpan.FromSeconds(seconds);
        }
        var settings = new SyncSettings(interval, HoconDuration.Read(sync, "after-commit"), sync.GetInt("push-attempts"),
            HoconDuration.Read(sync, "retry.min"), HoconDuration.Read(sync, "retry.max"), HoconDuration.Read(sync, "integrate-timeout"),
            HoconDuration.Read(root, "elf.committer.stale-lock-age"));
        if (settings.PushAttempts < 1) throw new ConfigurationException("elf.sync.push-attempts must be at least 1");
        return settings;
    }
}

/// <summary>
/// Sync through a git remote (docs/sync.md, docs/adr/0033): after local commits (debounced) and on an interval, fetches
/// the memory's branch's upstream, has the committer integrate it (the committer owns the branch ref, so the two never
/// race), and pushes. A rejected push is the normal "another machine was first": fetch, integrate and push again with
/// back-off, never forced. Offline is normal: commits stay local and go out on a later round. Git runs on this
/// actor's own thread (a pinned dispatcher), never on the default dispatcher.
/// </summary>
public sealed class SyncActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MemoryPaths _paths;
    private readonly SyncSettings _settings;
    private readonly IActorRef _committer;
    private readonly SyncMonitor _monitor;
    private readonly TimeProvider _clock;
    private readonly List<IActorRef> _waiters = [];
    // `elf sync --now` asked while a round runs: answered by the next round, which starts after it (docs/adr/0066).
    private readonly List<IActorRef> _nextRoundWaiters = [];
    private readonly Random _random = new();
    private bool _inRound;
    private bool _again;
    private int _attempt;
    private string? _branch;
    private SyncUpstream? _upstream;
    private int _integrationNumber;
    private readonly PersonGit _person;
    // The files a look for the upstream reads (found once), and, while the last look found none, those files as they were
    // before it and why sync is off: a round after commits looks again only once one of them changed (docs/adr/0082).
    private UpstreamLookupFiles? _upstreamFiles;
    private (UpstreamLookupFiles.State Files, string Reason)? _noUpstream;

    public SyncActor(MemoryPaths paths, SyncSettings settings, IActorRef committer, SyncMonitor monitor, TimeProvider clock)
    {
        _paths = paths;
        _settings = settings;
        _committer = committer;
        _monitor = monitor;
        _clock = clock;
        _person = new PersonGit(paths.BasePath);

        Receive<SyncNow>(_ =>
        {
            // A round already running may have fetched, or pushed, before what the asker committed: theirs is the next.
            (_inRound ? _nextRoundWaiters : _waiters).Add(Sender);
            RequestRound();
        });
        Receive<Tick>(_ => RequestRound());
        Receive<CommitterProtocol.RecordsCommitted>(_ =>
        {
            if (!Timers.IsTimerActive("after-commit")) Timers.StartSingleTimer("after-commit", Tick.Instance, _settings.AfterCommit);
        });
        Receive<RetryPush>(_ => Attempt());
        Receive<Integrated>(integrated =>
        {
            if (!_inRound || integrated.Number != _integrationNumber) return;
            Timers.Cancel("integrate");
            if (integrated.Error is { } error)
            {
                EndRound(ok: false, error);
                return;
            }
            // The committer has added the rows of what arrived to the index already (GitCommitterActor.ImportArrived).
            if (integrated.Outcome is { NewTip: not null } outcome) _log.Info("Sync: {0} ({1} paths changed)", outcome.How, outcome.ChangedPaths.Count);
            Push();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(MemoryPaths paths, SyncSettings settings, IActorRef committer, SyncMonitor monitor, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new SyncActor(paths, settings, committer, monitor, clock)).WithDispatcher(SyncSettings.Dispatcher);

    protected override void PreStart()
    {
        Posix.NameThisThread("elf-sync"); // its pinned dispatcher's thread, as the system shows it (docs/adr/0077)
        if (!_settings.Enabled)
        {
            _monitor.SetState($"off (elf.sync.interval or ${SyncSettings.IntervalVariable} is 0)");
            return;
        }
        _monitor.SetState("idle");
        Context.System.EventStream.Subscribe(Self, typeof(CommitterProtocol.RecordsCommitted));
        Timers.StartPeriodicTimer("interval", Tick.Instance, _settings.Interval);
        Self.Tell(Tick.Instance); // once at start: what the remote gained while this host was down
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void RequestRound()
    {
        if (!_settings.Enabled)
        {
            AnswerWaiters(new SyncResult(false, _monitor.Read().State, 0, 0));
            return;
        }
        if (_inRound)
        {
            _again = true; // records committed during this round go out in the next one
            return;
        }
        _inRound = true;
        _again = false;
        _attempt = 0;
        _waiters.AddRange(_nextRoundWaiters);
        _nextRoundWaiters.Clear();
        Attempt();
    }

    /// <summary>
    /// One attempt, guarded: sync's one failure strategy (docs/sync.md, "When a round fails"). Whatever stops it, even a
    /// git that cannot run at all (the memory's folder gone, git missing), ends the round with that error, which
    /// <c>elf status</c> shows and <c>elf sync --now</c> answers, and the next round (after-commit or the interval) is
    /// the back-off. Thrown, it would restart this actor, whose start begins a round at once: a restart loop that spins
    /// a core. (The committer, whose failure is a git store in a bad state, is the one under a back-off supervisor.)
    /// </summary>
    private void Attempt() => Guarded(AttemptRound);

    private void Guarded(Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            EndRound(ok: false, "sync failed: " + e.Message);
        }
    }

    /// <summary>Fetch, then the committer integrates; <see cref="Push"/> follows its answer.</summary>
    private void AttemptRound()
    {
        var repo = _paths.BasePath;
        // No upstream at the last look, and none of the files it read changed since: sync is still off, and the look's three
        // git processes are not run again after each second of commits (docs/adr/0082). `elf sync --now` always looks.
        if (_noUpstream is { } off && _waiters.Count == 0 && _upstreamFiles!.Read()?.SameAs(off.Files) == true)
        {
            _monitor.EndedOff();
            EndRound(ok: false, off.Reason, quiet: true);
            return;
        }
        _noUpstream = null;
        if (_person.Running() is { } pid)
        {
            // A person's git (pull, fetch, rebase …) runs in the repository: its refs are not raced; look again shortly.
            _monitor.SetState($"waiting: a person's git (pid {pid}) runs in the repository");
            Timers.StartSingleTimer("retry", RetryPush.Instance, _settings.RetryMax);
            return;
        }
        _attempt++;
        // Read before the look: a change made while it runs differs from what is kept.
        var filesBefore = (_upstreamFiles ??= UpstreamLookupFiles.Of(repo))?.Read();
        _monitor.LookedForUpstream();
        var head = GitCli.TryRun(repo, ["symbolic-ref", "-q", "HEAD"]);
        _branch = head.Succeeded ? head.Stdout.Trim() : null;
        _upstream = SyncGit.FindUpstream(repo, _branch, out var whyNot);
        if (_upstream is null)
        {
            // Nothing to fetch: no timer wakes an idle host for it (docs/adr/0042). The next local commit's round looks for
            // an upstream again once HEAD or a config file changed, `elf sync --now` always; finding one starts the interval again.
            Timers.Cancel("interval");
            var why = _branch is null ? "HEAD is not on a branch" : whyNot;
            var reason = "sync off: " + why;
            if (filesBefore is not null) _noUpstream = (filesBefore, reason);
            _monitor.SetState("off: " + why);
            _monitor.EndedOff();
            EndRound(ok: false, reason, quiet: true);
            return;
        }
        if (!Timers.IsTimerActive("interval")) Timers.StartPeriodicTimer("interval", Tick.Instance, _settings.Interval);
        _monitor.SetState($"fetching {_upstream.Display}", _upstream.Display);
        var fetch = SyncGit.Fetch(repo, _upstream);
        if (!fetch.Succeeded)
        {
            EndRound(ok: false, $"fetch from {_upstream.Remote} failed: {fetch.Reason}");
            return;
        }
        var upstreamTip = GitCli.Resolve(repo, _upstream.TrackingRef);
        if (upstreamTip is null)
        {
            Push(); // the remote has no such branch yet: the first push creates it
            return;
        }
        _monitor.SetState($"integrating {_upstream.Display}");
        _integrationNumber++;
        _committer.Tell(new IntegrateUpstream(_branch!, upstreamTip, _upstream.Display, _integrationNumber), Self);
        Timers.StartSingleTimer("integrate", new Integrated(_integrationNumber, null, "the committer did not integrate in time"), _settings.IntegrateTimeout);
    }

    private void Push() => Guarded(PushRound);

    private void PushRound()
    {
        var repo = _paths.BasePath;
        var upstream = _upstream!;
        var local = GitCli.Resolve(repo, _branch!);
        var remote = GitCli.Resolve(repo, upstream.TrackingRef);
        if (local is null || local == remote || (remote is not null && GitCli.IsAncestor(repo, local, remote)))
        {
            EndRound(ok: true, null);
            return;
        }
        _monitor.SetState($"pushing to {upstream.Display}");
        var push = SyncGit.Push(repo, _branch!, upstream);
        if (push.Succeeded)
        {
            // The remote now holds this commit: its tracking ref says so without another fetch.
            GitCli.TryRun(repo, ["update-ref", upstream.TrackingRef, local]);
            EndRound(ok: true, null);
            return;
        }
        var rejected = RemovedStaleRemoteLock(push) || SyncGit.IsRejectedAsBehind(push);
        if (rejected) _monitor.PushRejected();
        if (_attempt >= _settings.PushAttempts)
        {
            EndRound(ok: false, $"push to {upstream.Display} {(rejected ? "rejected" : "failed")} {_attempt} times: {SyncGit.PushFailure(push)}");
            return;
        }
        if (!rejected)
        {
            EndRound(ok: false, $"push to {upstream.Display} failed: {SyncGit.PushFailure(push)}");
            return;
        }
        // Another machine pushed first: fetch its commits, integrate, push again, after a randomised back-off.
        var backoff = TimeSpan.FromTicks(Math.Min(_settings.RetryMax.Ticks, _settings.RetryMin.Ticks << Math.Min(_attempt - 1, 10)));
        backoff = TimeSpan.FromTicks((long)(backoff.Ticks * (0.5 + _random.NextDouble())));
        _monitor.SetState($"push rejected ({upstream.Display} moved on); fetching again in {backoff.TotalMilliseconds:0} ms");
        Timers.StartSingleTimer("retry", RetryPush.Instance, backoff);
    }

    /// <summary>
    /// A push into a repository on this machine (a path or file:// remote, a shared folder) that was killed while it held
    /// the branch's lock leaves <c>refs/heads/&lt;branch&gt;.lock</c> there, and git refuses every later push until a
    /// person removes it. It is removed by the same rule as the memory's own locks (docs/reliability.md): older than
    /// <c>elf.committer.stale-lock-age</c>, no process has it open, no git runs in that repository. True when it was
    /// removed (the push is tried again); a lock held, young or elsewhere stays, and the round reports it.
    /// </summary>
    private bool RemovedStaleRemoteLock(GitResult push)
    {
        if (SyncGit.RemoteRefLock(push) is not { } lockPath || !File.Exists(lockPath)) return false;
        try
        {
            if (!StaleLocks.TryRemove(lockPath, _settings.StaleLockAge, _clock.GetUtcNow(), out var why))
            {
                _log.Warning("The remote's branch is locked by {0} ({1}): pushes fail until it goes", lockPath, why);
                return false;
            }
            _log.Warning("Removed a stale lock in the remote, {0} ({1}): a push into it was killed while it held the branch's lock", lockPath, why);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("The remote's branch is locked by {0}, which this user cannot remove ({1})", lockPath, e.Message);
            return false;
        }
    }

    private void EndRound(bool ok, string? error, bool quiet = false)
    {
        var (ahead, behind) = (0, 0);
        try
        {
            if (_branch is not null && _upstream is not null)
                (ahead, behind) = SyncGit.AheadBehind(_paths.BasePath, GitCli.Resolve(_paths.BasePath, _branch), GitCli.Resolve(_paths.BasePath, _upstream.TrackingRef));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // git cannot run here at all: the round's error already says why
        }
        var now = _clock.GetUtcNow();
        if (ok)
        {
            _monitor.Synced(now, ahead, behind);
            _monitor.SetState("idle");
        }
        else if (!quiet)
        {
            _log.Warning("Sync: {0}; the next round tries again (commits stay local meanwhile)", error);
            _monitor.Failed(now, error!, ahead, behind);
            _monitor.SetState("waiting for the next round after: " + error);
        }
        AnswerWaiters(new SyncResult(ok, ok ? $"in sync with {_upstream?.Display}" : error!, ahead, behind));
        _inRound = false;
        if (_again) RequestRound();
    }

    private void AnswerWaiters(SyncResult result)
    {
        foreach (var waiter in _waiters) waiter.Tell(result);
        _waiters.Clear();
        if (_settings.Enabled) return;
        foreach (var waiter in _nextRoundWaiters) waiter.Tell(result);
        _nextRoundWaiters.Clear();
    }
}

public static class SyncProtocol
{
    /// <summary>Asks for a sync round now; replies <see cref="SyncResult"/> when it ends.</summary>
    public sealed record SyncNow
    {
        public static readonly SyncNow Instance = new();
    }

    public sealed record SyncResult(bool Ok, string Message, int Ahead, int Behind);

    /// <summary>To the committer: bring this fetched upstream tip into the memory's branch (it owns the ref); replies <see cref="Integrated"/>.</summary>
    public sealed record IntegrateUpstream(string BranchRef, string UpstreamTip, string Display, int Number);

    public sealed record Integrated(int Number, IntegrationOutcome? Outcome, string? Error);

    internal sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    internal sealed record RetryPush
    {
        public static readonly RetryPush Instance = new();
    }
}
