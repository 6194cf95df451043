using Akka.Actor;
using Akka.Event;
using ElfActors.Contracts;
using ElfActors.Core;
using ElfActors.Core.Import;
using ElfActors.Core.Storage;
using static ElfActors.Actors.IndexWriterProtocol;

namespace ElfActors.Actors;

/// <summary>
/// The single writer of the SQLite index. Records of every kind that queued up while the last transaction ran are
/// stored in the next one (group commit: one fsync for many records); a batch in which one record fails is stored
/// again record by record under savepoints, so that record fails alone (MemoryIndex.InsertRecords).
/// It is also the one owner of the index's identity: a file deleted or replaced under it is put back, one overwritten
/// in place is rebuilt from the files and history (docs/adr/0044), and the committer is told which index is in place.
/// </summary>
public sealed class IndexWriterActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MemoryPaths _paths;
    private readonly ElfSettings _settings;
    private readonly TimeProvider _clock;
    // The memory's folder as the host opened it: a deleted, moved or replaced one is never written into (docs/adr/0074).
    private readonly MemoryFolder _folder;
    private readonly List<(RecordInsert Insert, IActorRef ReplyTo)> _buffer = [];
    // Commits' marks waiting for the next flush: stored in its transaction, with the inserts queued before it (docs/adr/0070).
    private readonly List<(MarkCommitted Mark, IActorRef ReplyTo)> _marksRiding = [];
    private MemoryIndex? _index;
    // The identity of the index this writer writes to (its own copies keep it; a rebuild gives a new one).
    private string? _identity;
    private bool _flushScheduled;
    // Records answered lately, whose recorder places the file (or appends the entry) after the answer: an overwritten
    // index is rebuilt from the files only once these are placed, or it would miss them (docs/adr/0044).
    private readonly Queue<Answered> _answered = new();
    // While an overwritten index waits to be rebuilt: since when, whether the committer (paused meanwhile) has asked,
    // who waits for the answer, and the writes held until then (inserts wait in _buffer).
    private DateTimeOffset? _overwrittenSince;
    private DateTimeOffset _rebuildRetryAt;
    private readonly List<IActorRef> _askedBy = [];
    private readonly List<(object Message, IActorRef Sender)> _held = [];

    private sealed record Answered(string RowTable, long RecordId, string RelativePath, string Content, DateTimeOffset At);

    // The WAL is checkpointed here, after the answers are out, not inside a record's commit (docs/adr/0065): records
    // (and marks, one each) written since the last checkpoint, and whether one is queued.
    private int _writtenSinceCheckpoint;
    private bool _checkpointQueued;

    /// <summary>
    /// Inserts stored with waiting marks at most: behind a backlog (thousands of inserts queued on a starved machine) a
    /// commit's marks wait for one transaction of this many inserts, not of <c>elf.index.max-batch-size</c>; the inserts
    /// after them go in the next flush, a transaction the marks would have cost anyway (docs/adr/0070). Measured before
    /// this bound, at load 45-60: the marks' transaction 0.9-1.2 s (mean) against 0.1 s for marks stored alone.
    /// </summary>
    internal const int InsertsWithMarksAtMost = 100;

    /// <summary>
    /// Records written (a mark or an undo counts one) after which the writer checkpoints once it has had nothing to write
    /// for <see cref="CheckpointWhenIdleFor"/>: about 12 WAL pages a record, so about SQLite's own 1,000 pages, at which it
    /// checkpointed inside the commit that crossed them.
    /// </summary>
    internal const int CheckpointAfterRecords = 80;

    /// <summary>
    /// Records written after which the writer checkpoints right after its answers even while records keep coming (a burst,
    /// or agents recording back to back): the WAL stays under about 16 MB.
    /// </summary>
    internal const int CheckpointAtMostAfterRecords = 4 * CheckpointAfterRecords;

    /// <summary>
    /// How long the writer waits without a write before it checkpoints: a checkpoint (about a thousand pages copied and
    /// an fsync, a few ms to tens of ms on a loaded disk) makes a record that arrives meanwhile wait for it.
    /// </summary>
    internal static readonly TimeSpan CheckpointWhenIdleFor = TimeSpan.FromMilliseconds(250);

    public IndexWriterActor(MemoryPaths paths, ElfSettings settings, TimeProvider clock, MemoryFolder? folder = null)
    {
        _paths = paths;
        _folder = folder ?? new MemoryFolder(paths);
        _settings = settings;
        _clock = clock;

        Receive<InsertRecord>(message =>
        {
            _buffer.Add((message.Insert, Sender));
            if (_buffer.Count >= _settings.IndexMaxBatchSize || (_marksRiding.Count > 0 && _buffer.Count >= InsertsWithMarksAtMost)) Flush();
            else if (!_flushScheduled)
            {
                _flushScheduled = true;
                Self.Tell(FlushInserts.Instance); // lands behind everything already queued
            }
        });
        Receive<FlushInserts>(_ =>
        {
            _flushScheduled = false;
            Flush();
        });
        // An appending recorder's batch, already gathered by the file's writer: stored at once.
        Receive<InsertRecords>(message => Handle(message,
            index =>
            {
                var outcomes = index.InsertRecords(message.Inserts, _clock.GetUtcNow());
                for (var i = 0; i < outcomes.Count; i++) Remember(message.Inserts[i], outcomes[i]);
                Written(message.Inserts.Count);
                return new InsertRecordsReply(outcomes, message.Tag);
            },
            reason => new InsertRecordsReply(message.Inserts.Select(_ => (InsertOutcome)new InsertOutcome.Failed(reason)).ToList(), message.Tag),
            $"{message.Inserts.Count} records"));
        Receive<DeleteRecords>(message => Handle(message,
            index =>
            {
                index.DeleteRecords(message.RowTable, message.RowIds);
                Written(1);
                return new DeleteReply(null);
            },
            reason => new DeleteReply(reason),
            $"undo of {message.RowIds.Count} {message.RowTable} rows"));
        Receive<MarkCommitted>(message =>
        {
            if (_overwrittenSince is not null)
            {
                WriteMarksAlone(message, Sender); // held until the rebuild, then dropped as stale
                return;
            }
            // Seen ahead of the queued inserts (the mailbox's priority), stored with them: the flush that takes them goes
            // behind every insert queued now, and one transaction (one WAL fsync) stores those inserts and these marks,
            // instead of a transaction for the marks ahead of the inserts (docs/adr/0070). With nothing queued the flush
            // comes next, and the marks are stored at once.
            _marksRiding.Add((message, Sender));
            if (_flushScheduled) return;
            _flushScheduled = true;
            Self.Tell(FlushInserts.Instance);
        });
        // From the committer, at its start or having found memory/index.db gone, replaced or overwritten: checked (put
        // back, or rebuilt) now, and answered with the identity of the index in place.
        Receive<CheckIndexFile>(_ =>
        {
            if (!_askedBy.Contains(Sender)) _askedBy.Add(Sender);
            try
            {
                if (Index() is { } index) AnswerAskers(index);
            }
            catch (MemoryFolderGoneException)
            {
                // The host stops (MemoryGoneExitService says why, once); nothing is put back into what is at the path now.
            }
            catch (Exception e)
            {
                _log.Warning("Could not put memory/index.db back: {0}", e.Message);
                DropIndex();
            }
        });
        Receive<RebuildTick>(_ => RebuildWhenReady());
        Receive<CheckpointIndex>(_ => Checkpoint());
    }

    /// <summary>
    /// Counts what a transaction wrote. Past <see cref="CheckpointAfterRecords"/>, a checkpoint waits for a pause of
    /// <see cref="CheckpointWhenIdleFor"/> (each write starts the wait again); past <see cref="CheckpointAtMostAfterRecords"/>
    /// it goes behind what is queued now.
    /// </summary>
    private void Written(int records)
    {
        _writtenSinceCheckpoint += records;
        if (_writtenSinceCheckpoint < CheckpointAfterRecords || _checkpointQueued) return;
        if (_writtenSinceCheckpoint < CheckpointAtMostAfterRecords)
        {
            Timers.StartSingleTimer(CheckpointTimer, CheckpointIndex.Instance, CheckpointWhenIdleFor);
            return;
        }
        Timers.Cancel(CheckpointTimer);
        _checkpointQueued = true;
        Self.Tell(CheckpointIndex.Instance); // behind the inserts already queued, not behind later ones: never starved by a burst
    }

    private const string CheckpointTimer = "checkpoint";

    /// <summary>
    /// Checkpoints the WAL now that the records that crossed the threshold are answered, then looks at the index file once
    /// more (IndexFileGuard): the checkpoint changed the main file, and the guard reads its identity again on the first look
    /// after a change; that look is taken here rather than in the next record's write.
    /// </summary>
    private void Checkpoint()
    {
        _checkpointQueued = false;
        Timers.Cancel(CheckpointTimer);
        if (_index is null || _overwrittenSince is not null) return;
        try
        {
            var (frames, copied) = _index.Checkpoint();
            _writtenSinceCheckpoint = 0;
            ElfMetrics.IndexCheckpoints.Add(1);
            if (copied < frames) _log.Debug("Checkpoint left {0} of {1} WAL frames to a later one (a reader holds them)", frames - copied, frames);
            Index();
        }
        catch (MemoryFolderGoneException)
        {
            // the host stops (docs/adr/0074)
        }
        catch (Exception e)
        {
            // The next write finds the index as it is (its guard puts back or rebuilds one that is gone); the WAL waits.
            _log.Warning("Checkpointing memory/index.db failed: {0}", e.Message);
        }
    }

    /// <summary>An index opened by this writer: it checkpoints itself, off the records' commits (docs/adr/0065).</summary>
    private static MemoryIndex Owned(MemoryIndex index)
    {
        index.CheckpointOnlyWhenAsked();
        return index;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// A commit's marks in a transaction of their own, committed without an fsync (answered, and the commit announced, once
    /// stored): they need no durability of their own (docs/adr/0065, 0073).
    /// </summary>
    private void WriteMarksAlone(MarkCommitted message, IActorRef replyTo) => Handle(message,
        index =>
        {
            // Made against an index since rebuilt: its outbox ids are other rows' now.
            if (message.IndexIdentity != index.Identity) return new MarkedCommitted(message.OutboxIds, null, Stale: true);
            var writing = System.Diagnostics.Stopwatch.GetTimestamp();
            var cpuAtStart = Posix.ThreadCpuMilliseconds();
            // Without an fsync of their own: the next record's transaction (fsynced before its answer) makes them durable,
            // and a record that comes meanwhile does not wait for the marks' fsync (docs/adr/0073).
            index.MarkEntriesCommittedWithoutSync(message.OutboxIds, message.CommitId, message.At);
            var cpu = Posix.ThreadCpuMilliseconds() - cpuAtStart;
            Written(1);
            Stored(message, writing, cpu);
            return new MarkedCommitted(message.OutboxIds, null);
        },
        reason => new MarkedCommitted(message.OutboxIds, reason),
        $"marking {message.OutboxIds.Count} records committed", replyTo);

    /// <summary>
    /// A commit's marks are stored (alone, or with inserts): whoever is told "committed" finds the outbox saying so
    /// (docs/adr/0029), told now, not once the committer has finished the batch it started meanwhile (docs/adr/0054).
    /// <paramref name="cpu"/>: the writer thread's CPU for a transaction of the marks alone; null where they rode in an
    /// insert transaction, whose CPU is mostly the inserts'.
    /// </summary>
    private void Stored(MarkCommitted message, long writing, double? cpu)
    {
        if (message.Announce is not { } announce) return;
        Context.System.EventStream.Publish(announce);
        ElfMetrics.RecordStage("mark.write", System.Diagnostics.Stopwatch.GetElapsedTime(writing).TotalMilliseconds);
        if (cpu is { } ms) ElfMetrics.RecordStage("mark.cpu", ms);
        if (message.CommittedTimestamp != 0)
            ElfMetrics.RecordStage("mark", System.Diagnostics.Stopwatch.GetElapsedTime(message.CommittedTimestamp).TotalMilliseconds);
    }

    private void Handle(object message, Func<MemoryIndex, object> write, Func<string, object> failed, string what, IActorRef? replyTo = null)
    {
        replyTo ??= Sender;
        try
        {
            if (Index() is not { } index)
            {
                _held.Add((message, replyTo)); // the index is being rebuilt: stored (or dropped, if stale) afterwards
                return;
            }
            replyTo.Tell(write(index));
        }
        catch (Exception e)
        {
            // The transaction rolled back: nothing of it was stored.
            if (e is not MemoryFolderGoneException) _log.Warning("Index transaction ({0}) failed: {1}", what, e.Message);
            DropIndex();
            replyTo.Tell(failed(NotWritten(e)));
        }
    }

    // The index opened at once (the bootstrap has just made it): a file deleted before the first record is put back too.
    protected override void PreStart()
    {
        Posix.NameThisThread("elf-indexwriter"); // its pinned dispatcher's thread, as the system shows it (docs/adr/0077)
        try
        {
            Index();
        }
        catch (Exception e)
        {
            _log.Warning("memory/index.db could not be opened yet: {0}", e.Message);
        }
    }

    /// <summary>Why a write failed, as the recorder's client is told: nothing of it was stored.</summary>
    private static string NotWritten(Exception e) => e is MemoryFolderGoneException
        ? e.Message + "; nothing was written (the host stops: the next elf command starts a host for what is at that path now)"
        : "the index (memory/index.db) could not be written: " + e.Message;

    public static Props Props(MemoryPaths paths, ElfSettings settings, TimeProvider clock, MemoryFolder? folder = null) =>
        Akka.Actor.Props.Create(() => new IndexWriterActor(paths, settings, clock, folder))
            .WithDispatcher(ElfSettings.IndexWriterDispatcher)
            .WithMailbox(ElfSettings.IndexWriterMailbox);

    private void Flush()
    {
        var marks = _marksRiding.ToArray();
        _marksRiding.Clear();
        if (_overwrittenSince is not null)
        {
            foreach (var (mark, replyTo) in marks) _held.Add((mark, replyTo)); // dropped as stale once the index is rebuilt
            return;
        }
        if (_buffer.Count == 0)
        {
            foreach (var (mark, replyTo) in marks) WriteMarksAlone(mark, replyTo);
            return;
        }
        var batch = _buffer.ToArray();
        _buffer.Clear();
        var current = new List<(MarkCommitted Mark, IActorRef ReplyTo)>(marks.Length);
        try
        {
            if (Index() is not { } index)
            {
                _buffer.InsertRange(0, batch); // stored once the overwritten index is rebuilt
                foreach (var (mark, replyTo) in marks) _held.Add((mark, replyTo));
                return;
            }
            foreach (var (mark, replyTo) in marks)
            {
                // Made against an index since rebuilt: its outbox ids are other rows' now.
                if (mark.IndexIdentity == index.Identity) current.Add((mark, replyTo));
                else replyTo.Tell(new MarkedCommitted(mark.OutboxIds, null, Stale: true));
            }
            var writing = System.Diagnostics.Stopwatch.GetTimestamp();
            var outcomes = index.InsertRecords(batch.Select(b => b.Insert).ToArray(), _clock.GetUtcNow(),
                current.Select(m => new CommittedEntries(m.Mark.OutboxIds, m.Mark.CommitId, m.Mark.At)).ToArray());
            for (var i = 0; i < batch.Length; i++)
            {
                Remember(batch[i].Insert, outcomes[i]);
                batch[i].ReplyTo.Tell(new InsertReply(outcomes[i]));
            }
            foreach (var (mark, replyTo) in current)
            {
                Stored(mark, writing, cpu: null);
                replyTo.Tell(new MarkedCommitted(mark.OutboxIds, null));
            }
            Written(batch.Length + current.Count);
        }
        catch (Exception e)
        {
            // The transaction rolled back: nothing of this batch was stored, nor the marks that rode in it.
            if (e is not MemoryFolderGoneException)
                _log.Warning("Index transaction of {0} records and {1} commits' marks failed: {2}", batch.Length, current.Count, e.Message);
            DropIndex();
            var reason = NotWritten(e);
            var failed = new InsertReply(new InsertOutcome.Failed(reason));
            foreach (var (_, replyTo) in batch) replyTo.Tell(failed);
            foreach (var (mark, replyTo) in current) replyTo.Tell(new MarkedCommitted(mark.OutboxIds, reason));
        }
    }

    // Opened lazily so that a database that cannot be opened fails requests with a clear reason
    // instead of failing the actor's start. Before each write, one stat: a memory/index.db deleted or replaced under
    // the host is put back from the connection still open here, before anything more is written (IndexFileGuard).
    // Null while one overwritten in place waits to be rebuilt: nothing is written to it (docs/adr/0044).
    // The memory's folder deleted, moved away or replaced: MemoryFolderGoneException, nothing written (docs/adr/0074).
    private MemoryIndex? Index()
    {
        if (_folder.GoneReason is { } gone) throw new MemoryFolderGoneException(gone);
        if (_overwrittenSince is not null) return null;
        if (_index is not null)
        {
            var kept = IndexFileGuard.KeepAtItsPath(_index, _paths, _settings.Index, _clock, restore: true, WarnOnce, _folder);
            if (kept is null)
            {
                Overwritten();
                return null;
            }
            // The guard's own copy of the index, where it put one back, is this writer's from now on.
            _index = ReferenceEquals(kept, _index) ? kept : Owned(kept);
            return _index;
        }
        // Opening makes memory/ and an empty index where there is none: never in a folder that is not the memory's.
        if (!File.Exists(_paths.DatabasePath) && _folder.Check() is { } goneNow) throw new MemoryFolderGoneException(goneNow);
        _index = Owned(MemoryIndex.Open(_paths, _settings.Index));
        // Reopened after a failure: another identity than the index this writer had is not one it made (its own copies
        // keep theirs, its rebuilds are opened below): overwritten or recreated meanwhile, rebuilt like one.
        if ((_identity is not null && _index.Identity != _identity) || _index.FileState() == IndexFileState.Overwritten)
        {
            Overwritten();
            return null;
        }
        _identity = _index.Identity;
        return _index;
    }

    /// <summary>The guard's word, logged when it differs from the last: a put-back that keeps failing is retried before each write, and said once.</summary>
    private void WarnOnce(string message)
    {
        if (message == _lastGuardMessage) return;
        _lastGuardMessage = message;
        _log.Warning("{0}", message);
    }

    private string? _lastGuardMessage;

    /// <summary>A record stored: its file (or entry) is placed by its recorder after this answer.</summary>
    private void Remember(RecordInsert insert, InsertOutcome outcome)
    {
        if (outcome is not InsertOutcome.Inserted inserted) return;
        var now = _clock.GetUtcNow();
        _answered.Enqueue(new Answered(insert.Draft.Kind.RowTable, inserted.RecordId, inserted.RelativePath, inserted.Content, now));
        while (_answered.TryPeek(out var oldest) && now - oldest.At > PlacementWait) _answered.Dequeue();
    }

    /// <summary>
    /// memory/index.db was overwritten in place: writes are held, and the index is rebuilt from the files and history
    /// once the committer has asked (it commits nothing meanwhile: no commit of its can race the rebuild) and every
    /// record answered lately has its file placed, waited for at most <see cref="PlacementWait"/>.
    /// </summary>
    private void Overwritten()
    {
        _log.Warning("memory/index.db was overwritten in place under the running host (another database, or not one, copied over it): " +
            "holding writes; rebuilding it from the files and git history");
        _overwrittenSince = _clock.GetUtcNow();
        Timers.StartPeriodicTimer("rebuild", RebuildTick.Instance, RebuildPoll);
    }

    /// <summary>How often a pending rebuild looks whether the committer has asked and the answered records' files are placed.</summary>
    private static readonly TimeSpan RebuildPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How long a recorder may take to place its file after the writer's answer, as far as a rebuild waits for it: it
    /// places it at once (milliseconds; a second on two loaded cores), or fails and takes the row back.
    /// </summary>
    private static readonly TimeSpan PlacementWait = TimeSpan.FromSeconds(5);

    private void RebuildWhenReady()
    {
        if (_overwrittenSince is not { } since || _clock.GetUtcNow() < _rebuildRetryAt) return;
        var waited = _clock.GetUtcNow() - since;
        // The committer asks within a sweep; one that does not (restarting, or busy in git) is not waited for past this.
        if (_askedBy.Count == 0 && waited < _settings.SweepInterval * 3) return;
        // A recorder that cannot place its file takes the row back: its undo is held here, and the rebuild needs no undo.
        var undone = _held.Select(h => h.Message).OfType<DeleteRecords>().SelectMany(d => d.RowIds.Select(id => (d.RowTable, id))).ToHashSet();
        if (waited < PlacementWait && _answered.Any(a => a.At >= since - PlacementWait && !undone.Contains((a.RowTable, a.RecordId)) && !Placed(a))) return;
        IndexRebuildReport report;
        try
        {
            report = IndexRebuild.AfterOverwrite(_paths, _settings.Index, _clock, DropIndex);
            _index = Owned(MemoryIndex.Open(_paths, _settings.Index));
            _identity = _index.Identity;
        }
        catch (Exception e)
        {
            _log.Warning("Could not rebuild the overwritten memory/index.db yet (trying again): {0}", e.Message);
            DropIndex();
            _rebuildRetryAt = _clock.GetUtcNow() + _settings.BackoffMin;
            return;
        }
        Timers.Cancel("rebuild");
        _overwrittenSince = null;
        _answered.Clear();
        _log.Warning("memory/index.db rebuilt from the files and git history ({0} learnings, {1} heuristics, {2} decisions; {3} uncommitted files queued){4}",
            report.Summary.Learnings, report.Summary.Heuristics, report.Summary.Decisions, report.Queued,
            report.MovedAside is { } aside ? "; what was copied over it is kept as memory/" + aside : "");
        AnswerAskers(_index);
        var held = _held.ToList();
        _held.Clear();
        foreach (var (message, sender) in held)
        {
            // An undo of a row the rebuild never had (its file was not placed): nothing to take back.
            if (message is DeleteRecords) sender.Tell(new DeleteReply(null));
            else Self.Tell(message, sender); // marks come back stale; batches are stored now
        }
        if (_buffer.Count > 0) Self.Tell(FlushInserts.Instance);
    }

    /// <summary>Whether a record answered lately is in its file: a file of its own exists, or its shared file holds its entry.</summary>
    private bool Placed(Answered answered)
    {
        var path = _paths.Absolute(answered.RelativePath);
        if (answered.RowTable != OutboxTables.Heuristics) return File.Exists(path);
        try
        {
            return File.ReadAllText(path).Contains(answered.Content, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void AnswerAskers(MemoryIndex index)
    {
        foreach (var asker in _askedBy) asker.Tell(new IndexInPlace(index.Identity));
        _askedBy.Clear();
    }

    private void DropIndex()
    {
        _index?.Dispose();
        _index = null;
    }

    protected override void PostStop() => DropIndex();
}
