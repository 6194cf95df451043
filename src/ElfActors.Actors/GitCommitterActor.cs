using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Event;
using ElfActors.Contracts;
using ElfActors.Core;
using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Core.Storage;
using static ElfActors.Actors.CommitterProtocol;

namespace ElfActors.Actors;

/// <summary>
/// The single git writer. It owns one long-lived repository and its own index connection, and commits
/// whatever the outbox holds in batches: everything that arrived while the previous commit ran goes into the
/// next one. A lock held by another git process is waited out here, with bounded back-off; any other git
/// error crashes it on purpose: its back-off supervisor starts a fresh incarnation, which reconciles the
/// outbox with the branch's <c>Elf-Record</c> trailers before committing again.
/// </summary>
public sealed partial class GitCommitterActor : ReceiveActor, IWithTimers
{
    private const string RetryTimer = "retry";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MemoryPaths _paths;
    private readonly ElfSettings _settings;
    private readonly GitStoreFactory _gitStoreFactory;
    private readonly IActorRef _indexWriter;
    // Committed in git, marked in the index once the index writer answers: never committed again meanwhile.
    private readonly HashSet<long> _unmarked = [];
    // Commits made but not yet marked in the index, oldest first: announced (--wait-commit answers) by the index writer
    // once it has stored their marks, so whoever was told "committed" finds the outbox saying so too; by this committer
    // only when the marks came back stale (the index was rebuilt meanwhile: the commits are in git).
    private readonly Queue<RecordsCommitted> _unannounced = new();
    // Learnings records whose recorder rang: their file is written, whatever it holds now (an agent may edit it).
    private readonly HashSet<long> _rung = [];
    private readonly ElfMonitor _monitor;
    // The memory's folder as the host opened it: once deleted, moved or replaced, nothing more is committed (docs/adr/0074).
    private readonly MemoryFolder _folder;
    private readonly TimeProvider _clock;
    // The current batch's stages (docs/performance.md#where-a-batch-goes).
    private readonly StageTimes _stages = new();
    private readonly List<IActorRef> _waiters = [];
    private readonly int _incarnation;
    private IGitStore? _git;
    private MemoryIndex? _index;
    private bool _batchScheduled;
    private long _lastCommitStarted;
    private const string RunBatchTimer = "run-batch";
    private TimeSpan _lockBackoff = TimeSpan.Zero;
    private (string Path, DateTimeOffset Since)? _heldLock;
    private bool _waitingForLock;
    // Reachability (docs/adr/0018): the branch tip at which every acknowledged record was last seen reachable, and
    // whether it was ever checked (at each start it is not: a full check runs before the first commit).
    private string? _verifiedTip;
    private bool _verified;
    private bool _checkAfterMarks;
    private string? _holdReason;
    // Records history lost, queued again with their files restored: complete whatever their age.
    private readonly HashSet<long> _reopened = [];
    // Whether the index writer, the one owner of the index's identity, has said the index this committer has open is
    // the one in place (asked at start, and whenever the file is not the one opened): no batch runs before (docs/adr/0044).
    private bool _indexConfirmed;
    // What wakes an idle committer (docs/adr/0042): the system's reports of changes in the git folder and to the index
    // file; null before the start. The sweep's period while something is to do, or the fallback's while idle; null
    // while idle with the watch working (no timer at all).
    private FolderWatch? _watch;
    private TimeSpan? _sweepEvery;

    public GitCommitterActor(MemoryPaths paths, ElfSettings settings, GitStoreFactory gitStoreFactory, IActorRef indexWriter, ElfMonitor monitor, TimeProvider clock,
        MemoryFolder? folder = null)
    {
        _paths = paths;
        _folder = folder ?? new MemoryFolder(paths);
        _settings = settings;
        _gitStoreFactory = gitStoreFactory;
        _indexWriter = indexWriter;
        _monitor = monitor;
        _clock = clock;
        _incarnation = monitor.CommitterStarted();
        ElfMetrics.CommitterRestarts.Add(1);

        Receive<Start>(_ => Initialise());
        Receive<RecordsWaiting>(_ => ScheduleBatch());
        Receive<RecordPlaced>(Placed);
        Receive<Sweep>(_ =>
        {
            LookForStall();
            ScheduleBatch();
        });
        Receive<WatchFailed>(failed =>
        {
            _log.Warning("Cannot watch the repository for a person's changes ({0}): an idle committer looks every {1} instead", failed.Reason, _settings.IdleSweepInterval);
            if (_sweepEvery is null) SweepEvery(_settings.IdleSweepInterval);
        });
        Receive<RetryAfterLock>(_ =>
        {
            _waitingForLock = false;
            ScheduleBatch();
        });
        Receive<RunBatch>(_ =>
        {
            _batchScheduled = false;
            CommitNextBatch();
        });
        Receive<IndexWriterProtocol.MarkedCommitted>(Marked);
        Receive<IndexWriterProtocol.IndexInPlace>(IndexInPlace);
        Receive<AwaitAllCommitted>(_ =>
        {
            _waiters.Add(Sender);
            ScheduleBatch();
        });
        Receive<SyncProtocol.IntegrateUpstream>(Integrate); // sync (GitCommitterActor.Sync.cs): the branch's one writer integrates
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A recorder rang: its learnings file is written (whatever it holds by the time it is committed).</summary>
    private void Placed(RecordPlaced placed)
    {
        if (placed.RowTable == OutboxTables.Learnings)
        {
            if (_rung.Count >= 100_000) _rung.Clear(); // only a shortcut: the file's content decides without it
            _rung.Add(placed.RecordId);
        }
        ScheduleBatch();
    }

    /// <summary>The index writer marked a commit's records (and announced the commit): check the tip if that waited for it.</summary>
    private void Marked(IndexWriterProtocol.MarkedCommitted marked)
    {
        // Made against an index since rebuilt: dropped and announced here already (IndexInPlace).
        if (marked.Stale) return;
        // The commit is in git either way; a restart finds its Elf-Record trailers and marks them then.
        if (marked.Error is not null) throw new InvalidOperationException("could not mark committed records in the index: " + marked.Error);
        _unmarked.ExceptWith(marked.OutboxIds);
        _unannounced.TryDequeue(out _); // the index writer announced it with the marks stored
        if (_checkAfterMarks && _unmarked.Count == 0)
        {
            _checkAfterMarks = false;
            ScheduleBatch();
        }
        AnswerWaiters(Index().CountPending());
        // Every commit marked: look once more now (there may be more to commit, or nothing: then rest), not a sweep later.
        if (_unmarked.Count == 0) ScheduleBatch();
    }

    public static Props Props(MemoryPaths paths, ElfSettings settings, GitStoreFactory gitStoreFactory, IActorRef indexWriter, ElfMonitor monitor, TimeProvider clock,
        MemoryFolder? folder = null) =>
        Akka.Actor.Props.Create(() => new GitCommitterActor(paths, settings, gitStoreFactory, indexWriter, monitor, clock, folder))
            .WithDispatcher(ElfSettings.CommitterDispatcher);

    // Work that can fail runs as a message, not in PreStart, so a failure is an ordinary crash that the
    // back-off supervisor answers with a delayed restart.
    protected override void PreStart()
    {
        Posix.NameThisThread("elf-committer"); // its pinned dispatcher's thread, as the system shows it (docs/adr/0077)
        _monitor.SetCommitterState(_incarnation == 1 ? "starting" : $"restarting (start {_incarnation})");
        Self.Tell(Start.Instance);
    }

    /// <summary>
    /// Asks the index writer to put memory/index.db back, at most once per <c>elf.committer.backoff.min</c>: each attempt
    /// touches the memory folder this committer watches, and a put-back that keeps failing (the path squatted by a
    /// folder, a full disk) made a loop of wake, ask and attempt: 265 warnings in 1.5 s, a core spinning.
    /// </summary>
    private void AskIndexWriterToCheck()
    {
        // Monotonic, not the injected clock: a test's clock that stands still must not silence the asks.
        var now = Stopwatch.GetTimestamp();
        if (_indexCheckAskedAt != 0 && Stopwatch.GetElapsedTime(_indexCheckAskedAt, now) < _settings.BackoffMin) return;
        _indexCheckAskedAt = now;
        _indexWriter.Tell(IndexWriterProtocol.CheckIndexFile.Instance);
    }

    private long _indexCheckAskedAt;

    // When this committer first found memory/index.db gone or replaced (Stopwatch; 0 while it is in place).
    private long _indexLostAt;

    // When this committer first found the branch without any commit while it has committed records (Stopwatch; 0: not),
    // and whether the check that found it left the records as they are for now.
    private long _branchEmptySince;
    private bool _reachabilityDeferred;

    /// <summary>Logs and shows (elf status) which writer made the commit, when it changes: the host falls back to git's by itself.</summary>
    private void NoteGitWriter()
    {
        if (_git is not GitStore store) return;
        var writer = store.WriterFallbackReason is { } why ? $"{store.WriterInUse} (configured {store.PreferredWriter}; {why})" : store.WriterInUse;
        if (writer == _monitor.GitWriter) return;
        if (store.WriterFallbackReason is not null) _log.Warning("Committing with git's plumbing instead of the fast writer: {0}", store.WriterFallbackReason);
        else _log.Info("Committing with the {0} git writer", store.WriterInUse);
        _monitor.SetGitWriter(writer);
    }

    private void Initialise()
    {
        // A (re)start opens the repository, which makes one where there is none: never in a memory deleted or replaced.
        if (MemoryGone()) return;
        if (!File.Exists(_paths.DatabasePath))
        {
            // Gone under the running host (a person's rm or git clean -fdx): opening would make an empty index there,
            // whose outbox knows nothing of the commits this committer's previous incarnation made (committed again) and
            // which the index writer then moves aside. The writer puts back the index it has open; this start waits.
            AskIndexWriterToCheck();
            _monitor.SetCommitterState("waiting for memory/index.db to be put back");
            Timers.StartSingleTimer("start", Start.Instance, _settings.BackoffMin);
            return;
        }
        try
        {
            _index = MemoryIndex.Open(_paths, _settings.Index);
            _git = _gitStoreFactory(_paths);
            if (_git is GitStore store) store.PreferredWriter = _settings.GitWriter;
            ChooseBranch();
            FinishInterruptedIntegration();
            ReconcileWithHistory();
        }
        catch (Exception e)
        {
            _monitor.SetCommitterState("backing off after: " + e.Message);
            throw;
        }
        _watch = WatchForChanges();
        SweepEvery(_settings.SweepInterval);
        _monitor.SetCommitterState("idle");
        _indexWriter.Tell(IndexWriterProtocol.CheckIndexFile.Instance);
    }

    /// <summary>
    /// The index writer's word on which index is at memory/index.db. Another identity than the one open here is an index
    /// rebuilt from the files and history (one overwritten in place, docs/adr/0044): this committer reopens it and drops
    /// everything it keeps by outbox or record id, which now name other rows; marks already sent come back stale. The
    /// commits it made stay in git; records whose file is not tracked were queued again by the rebuild; reachability is
    /// checked afresh before the next commit.
    /// </summary>
    private void IndexInPlace(IndexWriterProtocol.IndexInPlace inPlace)
    {
        if (_index is null) return; // an answer to an incarnation that did not start
        var changed = Index().Identity != inPlace.Identity;
        if (changed)
        {
            var reopened = MemoryIndex.Open(_paths, _settings.Index);
            if (reopened.Identity != inPlace.Identity)
            {
                reopened.Dispose(); // changed again meanwhile: the next batch asks again
                return;
            }
            _index?.Dispose();
            _index = reopened;
            _log.Warning("memory/index.db was rebuilt by the index writer: reopened; {0} commits not yet marked are in git, their records' ids renumbered", _unannounced.Count);
            // Those commits are in git: whoever waits for them (--wait-commit, by the ids they were given) is answered.
            while (_unannounced.TryDequeue(out var announced)) Context.System.EventStream.Publish(announced);
            _unmarked.Clear();
            _reopened.Clear();
            _rung.Clear();
            _besideForeignGit.Clear(); // outbox ids of the old index; the reachability check below looks at every record
            _checkAfterMarks = false;
            _verified = false;
        }
        else if (Index().FileState() == IndexFileState.Overwritten && ReopenedAs(inPlace.Identity) is { } reopened)
        {
            // This connection took the file for overwritten in place (a verdict it keeps for good: reads of the main file
            // torn by a checkpoint for longer than its confirming reads), yet the index writer, the one owner of the index's
            // identity (docs/adr/0044), finds this very index in place. Without believing it, the committer asked and waited
            // for ever. A fresh connection looks afresh; the file is the same, so nothing this one wrote is elsewhere.
            _index?.Dispose();
            _index = reopened;
            _log.Warning("The committer had taken memory/index.db for overwritten; the index writer finds this index in place: reopened");
        }
        // The answer the committer waited for (at its start, or with its file lost) lets the next batch run at once; a
        // file still lost is looked at again then.
        if (changed || !_indexConfirmed) ScheduleBatch();
        _indexConfirmed = true;
    }

    /// <summary>A new connection to memory/index.db if the index there has this identity (else null, nothing kept open).</summary>
    private MemoryIndex? ReopenedAs(string identity)
    {
        var reopened = MemoryIndex.Open(_paths, _settings.Index);
        if (reopened.Identity == identity && reopened.FileState() == IndexFileState.Current) return reopened;
        reopened.Dispose();
        return null;
    }

    /// <summary>
    /// Watches what a person's git changes (<see cref="GitFolders.Watched"/>) and memory/index.db (replaced, removed, or
    /// written by another process: a record whose doorbell was lost); a change wakes an idle committer with a sweep.
    /// </summary>
    private FolderWatch WatchForChanges()
    {
        var self = Self;
        var folders = new List<WatchedFolder>();
        if (Git().GitDirectory is { } gitDirectory) folders.AddRange(GitFolders.Watched(gitDirectory));
        folders.Add(new WatchedFolder(_paths.MemoryDirectory, Recursive: false, "index.db", "index.db-wal") { Writes = true });
        var watch = FolderWatch.Start(folders, () => self.Tell(Sweep.Instance), reason => self.Tell(new WatchFailed(reason)));
        if (Git().GitDirectory is null) self.Tell(new WatchFailed("the git store names no git folder"));
        else if (watch.Failed is { } failed) self.Tell(new WatchFailed(failed));
        return watch;
    }

    /// <summary>Sweeps every <paramref name="period"/> from now on (the timer is replaced only when the period changes).</summary>
    private void SweepEvery(TimeSpan period)
    {
        _monitor.CommitterResting = false;
        if (_sweepEvery == period) return;
        _sweepEvery = period;
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, period);
    }

    /// <summary>Nothing to do: no timer while the watch works (a change, a record or a question wakes the committer), else the slow fallback.</summary>
    private void Rest()
    {
        if (_watch is { Failed: null } && Git().GitDirectory is not null)
        {
            if (_sweepEvery is not null) Timers.Cancel("sweep");
            _sweepEvery = null;
            _monitor.CommitterResting = true;
        }
        else SweepEvery(_settings.IdleSweepInterval);
    }

    /// <summary>
    /// The memory's branch is the one its records were committed to before (kept in elf_state), or HEAD's branch the
    /// first time; commits go to it by name, never to whatever HEAD points at (docs/adr/0018).
    /// </summary>
    private void ChooseBranch()
    {
        var stored = Index().ReadState(BranchState);
        var head = Git().Branch;
        if (stored is not null && stored != head)
        {
            Git().Branch = stored;
            // A branch that no longer exists (renamed or deleted by a person) is not recreated from nothing.
            if (Git().BranchTip() is null) Git().Branch = head;
        }
        if (Git().Branch is { } branch && branch != stored) Index().WriteState(BranchState, branch);
    }

    private const string BranchState = "branch";

    /// <summary>
    /// An idle look's shortcut (docs/performance.md#an-idle-host): nothing waits for a commit or a mark, and the branch is
    /// where it was verified, so there is nothing to commit or restore. It skips <see cref="HistoryChecked"/>'s look for a
    /// person's git, a scan of every process in /proc. Anything else (a record, a moved tip, a hold still reported) takes
    /// the full path. When it holds, the committer rests (<see cref="Rest"/>) with the watch armed.
    /// </summary>
    private bool NothingToDo()
    {
        if (!_verified || _holdReason is not null || _unmarked.Count > 0 || _waiters.Count > 0 || _reopened.Count > 0 || _besideForeignGit.Count > 0
            || _integrationUnfinished) return false;
        _watch?.Arm(); // before the look: a change made while it looks wakes the committer again
        try
        {
            if (Git().BranchTip() != _verifiedTip || Index().CountPending() > 0) return false;
        }
        catch (Exception)
        {
            return false; // the full path meets the same failure and handles it as a commit's
        }
        _monitor.SetCommitterState("idle");
        Progressed();
        return true;
    }

    /// <summary>Marks pending records that a previous incarnation committed but did not live to mark.</summary>
    private void ReconcileWithHistory()
    {
        var pending = Index().ReadPending(int.MaxValue);
        if (pending.Count == 0) return;
        var since = pending.Min(p => p.EnqueuedAt) - TimeSpan.FromMinutes(10); // clock slack
        var inHistory = Git().FindTrailerCommits(since);
        var found = pending.Where(p => inHistory.ContainsKey(p.TrailerKey)).ToList();
        foreach (var group in found.GroupBy(p => inHistory[p.TrailerKey]))
            Index().MarkEntriesCommitted(group.Select(p => p.OutboxId).ToList(), group.Key, _clock.GetUtcNow());
        if (found.Count > 0)
            _log.Info("Found {0} records already committed before a restart; marked them, not committing twice", found.Count);
    }

    private void ScheduleBatch()
    {
        if (_batchScheduled || _git is null || _waitingForLock) return;
        _batchScheduled = true;
        _batchScheduledAt = Stopwatch.GetTimestamp();
        // Commits that would follow each other closer than elf.committer.min-commit-interval wait for it: records
        // arriving meanwhile join the batch (ADR 0049).
        var wait = _settings.MinCommitInterval - Stopwatch.GetElapsedTime(_lastCommitStarted);
        if (wait > TimeSpan.Zero) Timers.StartSingleTimer(RunBatchTimer, RunBatch.Instance, wait);
        else Self.Tell(RunBatch.Instance); // behind every doorbell already queued: they all join this batch
    }

    /// <summary>
    /// Whether commits may go ahead now: no person's operation in progress and HEAD on the memory's branch, and every
    /// acknowledged record reachable from the tip again if history moved (a tip that does not descend from the last
    /// verified one: reset, rebase, amend, stash's reset, a checkout's move). Cheap when nothing moved: one ref read.
    /// </summary>
    private bool HistoryChecked()
    {
        var hold = Git().HoldReason();
        if (hold is not null)
        {
            Hold(hold);
            return false;
        }
        if (_holdReason is not null) _log.Info("Resuming commits: {0}", "the person's git operation ended");
        _holdReason = null;
        if (Git().Branch is { } branch && Index().ReadState(BranchState) is null) Index().WriteState(BranchState, branch);
        if (!FinishInterruptedIntegration()) return false;
        var tip = Git().BranchTip();
        if (!CheckCommittedBesideForeignGit(tip)) return false;
        if (_verified && tip == _verifiedTip) return true;
        if (_verified && _verifiedTip is not null && tip is not null && Git().IsAncestor(_verifiedTip, tip))
        {
            // Commits on top, ours or a person's: a file a person's commit removed is their deliberate deletion.
            _verifiedTip = tip;
            return true;
        }
        if (_unmarked.Count > 0)
        {
            // Committed but not yet marked: check once the index writer has marked them.
            WaitForMarks();
            return false;
        }
        RestoreReachability(tip);
        if (_reachabilityDeferred)
        {
            _reachabilityDeferred = false;
            _monitor.SetCommitterState("the branch has no commit: looking again before committing its records again");
            return false;
        }
        _verifiedTip = tip;
        _verified = true;
        return true;
    }

    /// <summary>
    /// This committer's own commit, made on the tip last verified (or on commits on top of it), becomes the tip last
    /// verified. Left at the commit it was made on, a person's move back to that commit (`git reset --hard HEAD~1`) or
    /// to a commit of theirs on it, made before the next check, would pass for "the tip verified" or "commits on top"
    /// and leave this commit's records unreachable until a restart (docs/adr/0056).
    /// </summary>
    private void VerifiedUpTo(string commitId)
    {
        if (!_verified || _verifiedTip is null) return;
        try
        {
            if (Git().IsAncestor(_verifiedTip, commitId)) _verifiedTip = commitId;
        }
        catch (Exception e) when (e is GitStoreException or LibGit2Sharp.LibGit2SharpException)
        {
            // Left where it was: the next check walks from there, as before this commit.
        }
    }

    /// <summary>The next check of the tip waits for the index writer to mark the commits made (it answers each): said in elf status.</summary>
    private void WaitForMarks()
    {
        _checkAfterMarks = true;
        _monitor.SetCommitterState($"waiting for the index writer to mark {_unmarked.Count} committed records");
    }

    /// <summary>Commits wait for a person's git (or operation) to end: said in elf status, looked at again soon.</summary>
    private void Hold(string reason)
    {
        if (_holdReason != reason) _log.Info("{0}", reason);
        _holdReason = reason;
        _monitor.SetCommitterState(reason);
        Progressed();
        Timers.StartSingleTimer("hold", Sweep.Instance, _settings.BackoffMin); // look again soon
    }

    /// <summary>
    /// Finds acknowledged records whose file (or heuristic entry) the tip no longer holds, and queues them again, their
    /// files restored from the outbox where the working tree lost them; one a person deleted with a commit of their own
    /// is marked as such, reported and left deleted.
    /// </summary>
    private void RestoreReachability(string? tip)
    {
        if (RestoreReachabilityOf(tip) >= ReturnMemoryAfter)
        {
            // The check allocated a few objects per record the memory holds (none kept): the GC keeps the memory that
            // garbage grew its heap to, and a mostly idle host would hold it for good. Given back at once (docs/adr/0040).
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    /// <summary>How many committed records a reachability check must have read for its memory to be given back at once.</summary>
    private const int ReturnMemoryAfter = 10_000;

    /// <summary>The check of <see cref="RestoreReachability"/>; returns how many committed records it looked at.</summary>
    private int RestoreReachabilityOf(string? tip)
    {
        // One pass: the committed records in path order beside the tip's files in the same order. Only what is lost is
        // kept (docs/adr/0052).
        var (lost, absent, count) = (new List<CommittedEntry>(), new HashSet<string>(StringComparer.Ordinal), 0);
        using (var inTip = new TipRecords(Git(), tip))
        {
            foreach (var entry in Index().ReadCommittedInPathOrder())
            {
                count++;
                if (inTip.BlobOf(entry.RelativePath) is not { } blob)
                {
                    lost.Add(entry);
                    absent.Add(entry.RelativePath);
                }
                else if (entry.SharesFile && !inTip.BlobHolds(blob, entry.Content)) lost.Add(entry);
            }
        }
        if (tip is not null) _branchEmptySince = 0;
        if (lost.Count == 0) return count;
        // Records missing from the tip because the memory itself was deleted or replaced are not written back there. A
        // branch with no commit at all is how an rm -rf of the memory still at work looks (its refs gone, the folder not
        // yet): committed again only a sweep interval later, once MemoryGone has had the time to see it (docs/adr/0074).
        if (MemoryGone()) return count;
        if (tip is null)
        {
            if (_branchEmptySince == 0) _branchEmptySince = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_branchEmptySince) < _settings.SweepInterval)
            {
                _reachabilityDeferred = true; // the sweep (every sweep interval while this lasts) looks again
                return count;
            }
        }
        _branchEmptySince = 0;
        var deleted = tip is null ? new Dictionary<string, string>() : Git().DeletedByPerson(tip, absent);
        var respected = lost.Where(e => deleted.ContainsKey(e.RelativePath)).ToList();
        foreach (var group in respected.GroupBy(e => deleted[e.RelativePath]))
        {
            Index().MarkDeleted(group.Select(e => e.OutboxId).ToList(), group.Key);
            _log.Warning("{0} records were deleted by a person's commit {1}; left deleted (elf verify lists them)", group.Count(), group.Key[..Math.Min(12, group.Key.Length)]);
        }
        var again = lost.Where(e => !deleted.ContainsKey(e.RelativePath)).ToList();
        WriteLostFiles(again);
        Index().Reopen(again.Select(e => e.OutboxId).ToList());
        _reopened.UnionWith(again.Select(e => e.OutboxId));
        if (again.Count > 0)
            _log.Warning("History moved: {0} acknowledged records are no longer reachable from {1}; committing them again",
                again.Count, tip is null ? "the branch (it has no commits)" : tip[..Math.Min(12, tip.Length)]);
        return count;
    }

    /// <summary>Writes from the outbox the files of records queued again that the working tree lost too.</summary>
    private void WriteLostFiles(List<CommittedEntry> again)
    {
        foreach (var entry in again.Where(e => !e.SharesFile))
        {
            var path = _paths.Absolute(entry.RelativePath);
            if (!File.Exists(path)) WriteFromOutbox(entry.OutboxId, path);
        }
    }

    /// <summary>Writes a record's file from its outbox content (if the outbox holds it); whether the file is there now.</summary>
    private bool WriteFromOutbox(long outboxId, string path)
    {
        if (Index().ReadContent(outboxId) is not { } content) return false;
        PutBack(path, content);
        return File.Exists(path);
    }

    /// <summary>Writes a record's file that is gone, in one step, unless something was put there meanwhile.</summary>
    private void PutBack(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Core.Files.AtomicFile.WriteIfAbsent(path, content, _settings.FsyncFiles);
    }

    /// <summary>
    /// Whether the committer's connection is to the file at memory/index.db. One deleted or replaced under the host is
    /// put back by the index writer (the one writer of acknowledged rows), not here; the committer then reopens the copy
    /// and checks reachability afresh, as its own writes meanwhile may have gone to the old file.
    /// </summary>
    private bool IndexAtItsPath()
    {
        var index = Index();
        var kept = IndexFileGuard.KeepAtItsPath(index, _paths, _settings.Index, _clock, restore: false, message => _log.Info("{0}", message));
        if (kept is null)
        {
            if (MemoryGone()) return false;
            _indexConfirmed = false;
            // Found gone, the index is put back only a sweep interval later: a person's rm -rf of the whole memory is still
            // at work when its first deletion wakes the committer, and a put-back then made rm fail and left the memory
            // half made again; by then the folder (or its .git) is gone, and MemoryGone stops this committer instead.
            if (_indexLostAt == 0) _indexLostAt = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_indexLostAt) >= _settings.SweepInterval) AskIndexWriterToCheck();
            _monitor.SetCommitterState("waiting for memory/index.db to be put back");
            Timers.StartSingleTimer("index", Sweep.Instance, _settings.BackoffMin);
            return false;
        }
        _indexLostAt = 0;
        if (!ReferenceEquals(kept, index))
        {
            _index = kept;
            _verified = false;
        }
        return true;
    }

    /// <summary>
    /// Whether the memory's folder itself was deleted, moved away or replaced (<see cref="MemoryFolder.Check"/>: two stats,
    /// taken at a (re)start and only once something of the memory was found missing or a git step failed): then this committer commits nothing more, stops its timers and its watch, and
    /// waits for the host to stop (docs/adr/0074). Its repository is gone, or another memory's.
    /// </summary>
    private bool MemoryGone()
    {
        if (_folder.Check() is not { } gone) return false;
        _monitor.SetCommitterState("stopped: " + gone);
        Timers.CancelAll();
        _sweepEvery = null;
        _batchScheduled = false;
        _watch?.Dispose();
        _watch = null;
        return true;
    }

    /// <summary>
    /// Runs one step of a batch that works on git. A lock another process holds is waited for (false); any other failure
    /// is shown as "backing off after: …" and thrown, a crash the back-off supervisor answers with a delayed restart.
    /// </summary>
    private bool TryGitStep<T>(Func<T> step, out T result, IReadOnlyList<StagedFile>? staging = null)
    {
        try
        {
            result = step();
            return true;
        }
        catch (GitLockHeldException e)
        {
            WaitForLock(e);
            result = default!;
            return false;
        }
        catch (Exception e) when (e is PersonGitRunningException or GitIndexChangingException)
        {
            Hold(e.Message);
            result = default!;
            return false;
        }
        catch (Exception e) when (staging is not null && staging.Any(f => !File.Exists(_paths.Absolute(f.Path))))
        {
            // Not git's failure: a person's `git clean -fdx` removed a file this commit had read before git staged it
            // (git's update-index refuses a path that does not exist). Crashing would restart the committer, which forgets
            // which records their recorders placed and leaves such a file missing until the orphan grace. Written back as
            // read, and the batch runs again; git itself stays as it was (the branch moves only after staging).
            _log.Info("The commit failed with a file it stages gone: {0}", e.Message);
            _monitor.SetCommitterState("committing again: a file the commit staged was removed meanwhile (a person's git?)");
            WriteBackRemovedFiles(staging, "as read; committing them again");
            ScheduleBatch();
            result = default!;
            return false;
        }
        catch (Exception e)
        {
            // A repository deleted under the step (the memory's folder removed as it ran) is not a crash to restart from.
            if (MemoryGone())
            {
                result = default!;
                return false;
            }
            _monitor.SetCommitterState("backing off after: " + e.Message);
            throw;
        }
    }

    private void CommitNextBatch()
    {
        if (_folder.GoneReason is not null) return; // nothing more is committed (MemoryGone)
        _monitor.CommitterLooked();
        _stages.Restart();
        var cpuAtStart = Posix.ThreadCpuMilliseconds();
        if (!_indexConfirmed)
        {
            _monitor.SetCommitterState("waiting for the index writer's word on which memory/index.db is in place");
            _indexWriter.Tell(IndexWriterProtocol.CheckIndexFile.Instance); // asked again at each sweep until answered
            SweepEvery(_settings.SweepInterval);
            return;
        }
        if (!IndexAtItsPath())
        {
            SweepEvery(_settings.SweepInterval);
            return;
        }
        if (NothingToDo())
        {
            Rest();
            return;
        }
        SweepEvery(_settings.SweepInterval);
        // Checking the tip reads git like a commit does: its failures (a corrupt object, a held lock) are a commit's.
        if (!TryGitStep(HistoryChecked, out var historyChecked) || !historyChecked) return;
        _stages.Lap("check");
        var pending = Index().ReadPendingToCommit(_settings.CommitMaxBatchSize, _unmarked).ToList();
        _stages.Lap("read-pending");
        var (ready, contents) = ReadyToCommit(pending);
        _stages.Lap("files");
        if (ready.Count == 0)
        {
            _monitor.SetCommitterState(pending.Count == 0 ? "idle" : $"waiting for {pending.Count} record files to be placed");
            _unplacedFiles = pending.Count;
            if (pending.Count == 0 && _unmarked.Count == 0) Progressed();
            AnswerWaiters(pending.Count + _unmarked.Count);
            // A flush answered with nothing left to do: rest now, not at a sweep (which may be far off, or never come).
            if (pending.Count == 0 && NothingToDo()) Rest();
            return;
        }

        _unplacedFiles = 0;
        // A retry while a lock is held is still waiting, as far as `elf status` is concerned.
        if (_heldLock is null) _monitor.SetCommitterState($"committing {ready.Count} records");
        _lastCommitStarted = Stopwatch.GetTimestamp();
        Progressed();
        var staged = StagedFiles(ready, contents);
        var message = MessageFor(ready);
        _stages.Lap("message");
        if (!TryGitStep(() => Git().CommitFiles(staged, message), out var commitId, staged)) return;
        _stages.Lap("git");
        NoteGitWriter();
        Committed(ready, commitId);
        VerifiedUpTo(commitId);
        // Beside another git, a file gone may be that git's doing on purpose (a checkout to another branch removes it):
        // written back, if the tip still holds it, only once that git has ended (CheckCommittedBesideForeignGit).
        if (!NoteForeignGit(commitId, ready)) WriteBackRemovedFiles(staged, "as committed");
        _stages.Lap("hand-off");
        RecordStages();
        // The committer thread's own CPU for the batch: what the stages cost whatever else the machine ran meanwhile.
        ElfMetrics.RecordStage("cpu", Posix.ThreadCpuMilliseconds() - cpuAtStart);

        if (pending.Count == _settings.CommitMaxBatchSize || ready.Count < pending.Count) ScheduleBatch();
        else AnswerWaiters(Index().CountPending());
    }

    // A batch's commit message is a few hundred KB (a line and a trailer a record): as a string per commit, a large object
    // the GC collected only in a full collection. Written into a builder and a buffer kept from batch to batch (docs/adr/0076).
    private readonly System.Text.StringBuilder _messageBuilder = new();
    private char[] _messageBuffer = [];

    /// <summary>The batch's commit message, in <see cref="_messageBuffer"/>: valid until the next batch's.</summary>
    private ReadOnlyMemory<char> MessageFor(List<OutboxEntry> ready)
    {
        _messageBuilder.Clear();
        Core.Git.CommitMessage.Write(_messageBuilder, ready);
        var length = _messageBuilder.Length;
        if (_messageBuffer.Length < length) _messageBuffer = new char[length + length / 4];
        _messageBuilder.CopyTo(0, _messageBuffer, length);
        return _messageBuffer.AsMemory(0, length);
    }

    /// <summary>The batch's stages as <see cref="ElfMetrics.CommitStage"/>; git's split into the fast writer's own where it made the commit.</summary>
    private void RecordStages()
    {
        var store = _git as GitStore;
        var inGit = store?.LastCommitStages ?? [];
        foreach (var (stage, ms) in _stages.Laps)
        {
            if (stage != "git" || inGit.Count == 0)
            {
                ElfMetrics.CommitStage.Record(ms, StageTag(stage));
                continue;
            }
            var accounted = 0.0;
            foreach (var (gitStage, gitMs) in inGit)
            {
                ElfMetrics.CommitStage.Record(gitMs, StageTag("git." + gitStage));
                accounted += gitMs;
            }
            ElfMetrics.CommitStage.Record(Math.Max(0, ms - accounted), StageTag("git.other"));
            // The pack's own time, overlapped with the index build (git.pack is the part the commit waited for): beside the laps.
            if (store is { LastPackWriteMs: { } packWrite }) ElfMetrics.CommitStage.Record(packWrite, StageTag("git.pack-write"));
            // Its CPU, on the pack thread: the batch's CPU is `cpu` (the committer thread's) and this.
            if (store is { LastPackCpuMs: { } packCpu }) ElfMetrics.CommitStage.Record(packCpu, StageTag("git.pack-cpu"));
        }
    }

    private static KeyValuePair<string, object?> StageTag(string stage) => new("stage", stage);

    /// <summary>
    /// The pending records whose files are complete, with the bytes read of those with a file of their own (the blobs
    /// committed). A record's file is written after its row is stored: commit only records whose file holds what the
    /// outbox holds, or was written and rung for by its recorder (an agent may have edited it since), or has been
    /// there past the grace period. One still missing after the grace period lost its recorder, and is written from
    /// the outbox. A heuristic shares its domain's file: it is in place once its entry's text is in that file.
    /// <para>A domain file is committed as read here, once, and with it every pending entry that text holds, not only
    /// those of this batch (docs/adr/0066): an entry appended after the pending rows were read (or past the batch's
    /// size) would otherwise go into this commit without its <c>Elf-Entry</c> trailer, which a later commit carried; a
    /// machine that fetched this commit alone gave the entry a key of its own, and kept it.</para>
    /// </summary>
    private (List<OutboxEntry> Ready, Dictionary<string, StagedFile> Contents) ReadyToCommit(List<OutboxEntry> pending)
    {
        var orphanCutoff = _clock.GetUtcNow() - _settings.OrphanGrace;
        var sharedFiles = new Dictionary<string, (StagedFile File, string Text)?>(StringComparer.Ordinal);
        var contents = new Dictionary<string, StagedFile>(StringComparer.Ordinal);
        bool InPlace(OutboxEntry entry)
        {
            var path = _paths.Absolute(entry.RelativePath);
            if (!entry.SharesFile)
            {
                if (!File.Exists(path) && !RestorePlacedFile(entry, path)) return false;
                var staged = StagedFile.Read(entry.RelativePath, path);
                var complete = (entry.RowTable == OutboxTables.Learnings && _rung.Contains(entry.RecordId))
                    || entry.EnqueuedAt < orphanCutoff
                    || _reopened.Contains(entry.OutboxId)
                    || HoldsExactly(staged.Content, Index().ReadContent(entry.OutboxId) ?? entry.Content); // not read with the batch (docs/adr/0076)
                if (complete) contents[entry.RelativePath] = staged;
                return complete;
            }
            if (!sharedFiles.TryGetValue(entry.RelativePath, out var read))
                sharedFiles[entry.RelativePath] = read = File.Exists(path) && StagedFile.Read(entry.RelativePath, path) is var file
                    ? (file, System.Text.Encoding.UTF8.GetString(file.Content)) : null;
            return read?.Text.Contains(entry.Content, StringComparison.Ordinal) == true;
        }
        if (pending.Any(p => p.EnqueuedAt < orphanCutoff && !p.SharesFile && !InPlace(p)))
        {
            var restored = MemoryBootstrap.RestoreMissingFiles(Index(), _paths, _settings.FsyncFiles, orphanCutoff);
            _log.Warning("Wrote {0} record files from the outbox whose recorder never placed them", restored);
            sharedFiles.Clear();
        }
        var ready = pending.Where(InPlace).ToList();
        var taken = ready.Select(r => r.OutboxId).ToHashSet();
        foreach (var path in ready.Where(r => r.SharesFile).Select(r => r.RelativePath).Distinct(StringComparer.Ordinal).ToList())
        {
            var (file, text) = sharedFiles[path]!.Value;
            contents[path] = file;
            // Read after the file: an entry in it has its row already (a row is stored before its entry is appended).
            foreach (var entry in Index().ReadPendingIn(path))
                if (!_unmarked.Contains(entry.OutboxId) && text.Contains(entry.Content, StringComparison.Ordinal) && taken.Add(entry.OutboxId))
                    ready.Add(entry);
        }
        return (ready, contents);
    }

    /// <summary>
    /// A record file its recorder placed (it rang) that is gone before its commit: a person's `git clean -fdx` (or an
    /// `rm`) removed it while the commit was held (docs/adr/0037). Written again from the outbox at once, not after the
    /// orphan grace (2 minutes), which a waiting `elf flush` would outlast.
    /// </summary>
    private bool RestorePlacedFile(OutboxEntry entry, string path)
    {
        if (entry.RowTable != OutboxTables.Learnings || !_rung.Contains(entry.RecordId)) return false;
        if (!WriteFromOutbox(entry.OutboxId, path)) return false;
        _log.Warning("Record file {0} was removed before its commit (a person's git?): written again from the outbox", entry.RelativePath);
        return true;
    }

    /// <summary>
    /// A file this commit holds that is gone from the working tree: a person's `git clean -fdx` that read git's index
    /// before the commit added the file to it took the file for untracked and removed it after the commit had read it.
    /// Written back as committed, so the working tree matches the branch (`git status` clean). One stat per file.
    /// </summary>
    private void WriteBackRemovedFiles(IReadOnlyList<StagedFile> staged, string asWhat)
    {
        // HEAD moved off the memory's branch meanwhile (a person's checkout, which removed the files on purpose):
        // written back, they would be untracked files that make the person's checkout back fail.
        if (staged.All(file => File.Exists(_paths.Absolute(file.Path))) || Git().HoldReason() is not null) return;
        foreach (var file in staged)
        {
            var path = _paths.Absolute(file.Path);
            if (File.Exists(path)) continue;
            PutBack(path, System.Text.Encoding.UTF8.GetString(file.Content));
            _log.Warning("{0} was removed from the working tree while it was being committed (a person's git clean?); written back {1}", file.Path, asWhat);
        }
    }

    /// <summary>The files of a batch, each once: the bytes already read where the check read them, else read now.</summary>
    private List<StagedFile> StagedFiles(List<OutboxEntry> ready, Dictionary<string, StagedFile> contents) =>
        ready.Select(p => p.RelativePath).Distinct(StringComparer.Ordinal)
            .Select(path => contents.TryGetValue(path, out var staged) ? staged : StagedFile.Read(path, _paths.Absolute(path))).ToList();

    /// <summary>A commit made: its records go to the index writer to be marked (then announced), and are counted.</summary>
    private void Committed(List<OutboxEntry> ready, string commitId)
    {
        var at = _clock.GetUtcNow();
        var outboxIds = ready.Select(p => p.OutboxId).ToList();
        _unmarked.UnionWith(outboxIds);
        foreach (var entry in ready) if (entry.RowTable == OutboxTables.Learnings) _rung.Remove(entry.RecordId);
        _reopened.ExceptWith(outboxIds);
        // Waiters (--wait-commit) follow learnings ids; heuristics and decisions number their own rows.
        var ids = ready.Where(p => p.RowTable == OutboxTables.Learnings).Select(p => p.RecordId).ToList();
        var commit = new RecordsCommitted(ids, commitId, at);
        _indexWriter.Tell(new IndexWriterProtocol.MarkCommitted(outboxIds, commitId, at, Index().Identity, commit, Stopwatch.GetTimestamp()));
        RecordCommitted(ready, commitId, at);
        _unannounced.Enqueue(commit);
    }

    /// <summary>Whether a file's bytes are exactly this text in UTF-8 (encoded into a pooled buffer: once per pending record per batch).</summary>
    private static bool HoldsExactly(byte[] bytes, string text)
    {
        if (bytes.Length < text.Length || bytes.Length > System.Text.Encoding.UTF8.GetMaxByteCount(text.Length)) return false;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = System.Text.Encoding.UTF8.GetBytes(text, buffer);
            return buffer.AsSpan(0, length).SequenceEqual(bytes);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Another git process holds a lock: wait for it with bounded back-off instead of restarting.</summary>
    private void WaitForLock(GitLockHeldException e)
    {
        LockHolder? holder = null;
        if (e.LockPath is { } lockPath && StaleLocks.TryRemove(lockPath, _settings.StaleLockAge, _clock.GetUtcNow(), out var why, out holder))
        {
            _log.Warning("Removed a stale git lock {0} ({1}); a crashed git left it behind", Path.GetRelativePath(_paths.BasePath, lockPath), why);
            ScheduleBatch();
            return;
        }
        var path = e.LockPath is null ? "a git lock" : Path.GetRelativePath(_paths.BasePath, e.LockPath);
        if (_heldLock?.Path != path) _heldLock = (path, _clock.GetLocalNow());
        _lockBackoff = _lockBackoff == TimeSpan.Zero
            ? _settings.BackoffMin
            : TimeSpan.FromTicks(Math.Min(_lockBackoff.Ticks * 2, _settings.BackoffMax.Ticks));
        var since = _heldLock.Value.Since.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        // A person's git waiting in an editor holds the lock for as long as it takes: say whose it is (elf status).
        _monitor.SetCommitterState(holder is null
            ? $"waiting: {path} held since {since}"
            : $"waiting for a lock held by pid {holder.Pid} ({holder.Command}): {path} since {since}");
        _log.Warning("Waiting for {0} (held by another process since {1}); retrying in {2} ms", path, since, _lockBackoff.TotalMilliseconds);
        _waitingForLock = true; // doorbells are ignored meanwhile: the outbox keeps the records
        Progressed();
        Timers.StartSingleTimer(RetryTimer, RetryAfterLock.Instance, _lockBackoff);
    }

    private void RecordCommitted(IReadOnlyList<OutboxEntry> committed, string commitId, DateTimeOffset at)
    {
        _heldLock = null;
        _lockBackoff = TimeSpan.Zero;
        _monitor.RecordCommit(commitId, at, committed.Count);
        _monitor.SetCommitterState("idle");
        ElfMetrics.Commits.Add(1);
        ElfMetrics.RecordsCommitted.Add(committed.Count);
        ElfMetrics.BatchSize.Record(committed.Count);
        foreach (var entry in committed) ElfMetrics.CommitLatency.Record((at - entry.EnqueuedAt).TotalMilliseconds);
    }

    private void AnswerWaiters(long stillPending)
    {
        // An index not confirmed (lost, overwritten, or being rebuilt) counts for nothing.
        if (_waiters.Count == 0 || stillPending > 0 || !_indexConfirmed) return;
        // Every acknowledged record is committed, and reachable only if the tip is the one last verified.
        if (_holdReason is not null) return;
        if (!_verified || Git().BranchTip() != _verifiedTip || _besideForeignGit.Count > 0)
        {
            ScheduleBatch();
            return;
        }
        var reply = new AllCommitted(Index().CountCommitted());
        foreach (var waiter in _waiters) waiter.Tell(reply);
        _waiters.Clear();
    }

    private MemoryIndex Index() => _index ?? throw new InvalidOperationException("the committer has not started");

    private IGitStore Git() => _git ?? throw new InvalidOperationException("the committer has not started");

    protected override void PostStop()
    {
        _monitor.CommitterResting = false;
        _watch?.Dispose();
        _git?.Dispose();
        _index?.Dispose();
    }
}
