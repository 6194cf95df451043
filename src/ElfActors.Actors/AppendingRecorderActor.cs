using Akka.Actor;
using Akka.Event;
using ElfActors.Core;
using ElfActors.Core.Files;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using static ElfActors.Actors.AppendingRecorderProtocol;
using static ElfActors.Actors.IndexWriterProtocol;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Actors;

/// <summary>
/// The only writer of one file that records of an appending kind share, such as a heuristics domain file
/// <c>memory/heuristics/&lt;domain&gt;.md</c> (ELF's appends to it raced). Records that arrive while a batch is
/// being stored wait and form the next batch: rows and outbox
/// entries in one transaction (the index writer), then every entry appended in one replacement of the file
/// (temp file, flush, rename), then the answers and one doorbell for the committer.
/// If the file cannot be written, the batch's rows are taken back before anyone is answered.
/// </summary>
public sealed class AppendingRecorderActor : ReceiveActor, IWithTimers
{
    private const int MaxBatch = 1000;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MemoryPaths _paths;
    private readonly ElfSettings _settings;
    private readonly IActorRef _indexWriter;
    private readonly IActorRef _committer;
    private readonly ElfMonitor _monitor;
    private readonly RecordFile.Shared _file;
    private readonly string _filePath;
    private readonly Queue<AppendRecord> _waiting = new();
    private List<AppendRecord> _batch = [];
    private int _batchNumber;
    private bool _busy;

    public AppendingRecorderActor(RecordFile.Shared file, MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor)
    {
        _file = file;
        _paths = paths;
        _settings = settings;
        _indexWriter = indexWriter;
        _committer = committer;
        _monitor = monitor;
        _filePath = paths.Absolute(file.RelativePath);

        Receive<AppendRecord>(message =>
        {
            _waiting.Enqueue(message);
            if (!_busy) StartBatch();
        });
        Receive<InsertRecordsReply>(reply =>
        {
            if (_busy && reply.Tag == _batchNumber) Stored(reply.Outcomes);
            else AppendLate(reply.Outcomes);
        });
        Receive<DeleteReply>(_ => { }); // the undo's answer: the batch was already failed
        Receive<IndexReplyTimedOut>(timedOut =>
        {
            if (!_busy || timedOut.Batch != _batchNumber) return;
            FinishBatch(_batch.Select(_ => (RecordReply)new Failed(
                $"timed out after {_settings.RecorderReplyTimeout.TotalSeconds:0.#}s waiting for the index writer")).ToList());
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RecordFile.Shared file, MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor) =>
        Akka.Actor.Props.Create(() => new AppendingRecorderActor(file, paths, settings, indexWriter, committer, monitor))
            .WithDispatcher(ElfSettings.RecorderDispatcher);

    private void StartBatch()
    {
        if (_waiting.Count == 0) return;
        _batch = [];
        while (_waiting.Count > 0 && _batch.Count < MaxBatch) _batch.Add(_waiting.Dequeue());
        _busy = true;
        _batchNumber++;
        _indexWriter.Tell(new InsertRecords(_batch.Select(b => new RecordInsert(b.RequestId, b.Draft)).ToList(), _batchNumber));
        Timers.StartSingleTimer("index", new IndexReplyTimedOut(_batchNumber), _settings.RecorderReplyTimeout);
    }

    private void Stored(IReadOnlyList<InsertOutcome> outcomes)
    {
        Timers.Cancel("index");
        var entries = new List<string>();
        foreach (var outcome in outcomes)
        {
            if (outcome is InsertOutcome.Inserted inserted) entries.Add(inserted.Content);
            // A retry: put its entry back if a crash lost it, but only into this actor's own file (a request id
            // reused with another domain names a record of another file, which has its own writer).
            else if (outcome is InsertOutcome.Duplicate duplicate && duplicate.RelativePath == _file.RelativePath)
                entries.Add(duplicate.Content);
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_filePath)!);
            // Always fsynced, whatever elf.durability.fsync-files says: the whole shared file is replaced, and a torn
            // one would lose every older entry, not just this batch (which the outbox could rewrite).
            AppendOnlyFile.AppendMissing(_filePath, _file.Header, entries, flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = $"cannot append to {_file.RelativePath}: {e.Message}";
            _log.Warning("{0}; taking back {1} records", reason, outcomes.Count(o => o is InsertOutcome.Inserted));
            // Take the rows back first, so that a failed answer leaves nothing behind (the writer handles this
            // before any later request, since it works through its mailbox in order).
            var inserted = outcomes.OfType<InsertOutcome.Inserted>().Select(i => i.RecordId).ToList();
            if (inserted.Count > 0) _indexWriter.Tell(new DeleteRecords(_batch[0].Draft.Kind.RowTable, inserted));
            FinishBatch(outcomes.Select(_ => (RecordReply)new Failed(reason)).ToList());
            return;
        }

        var replies = outcomes.Select(outcome => outcome switch
        {
            InsertOutcome.Inserted inserted => new Recorded(inserted.RecordId, inserted.RelativePath, Duplicate: false),
            InsertOutcome.Duplicate duplicate => new Recorded(duplicate.RecordId, duplicate.RelativePath, Duplicate: true),
            InsertOutcome.Failed failed => (RecordReply)new Failed(failed.Reason),
            _ => new Failed("unexpected outcome"),
        }).ToList();
        FinishBatch(replies);
        if (replies.Any(r => r is Recorded)) _committer.Tell(CommitterProtocol.RecordsWaiting.Instance);
    }

    /// <summary>
    /// The answer to a batch that its timeout already failed: its rows exist, so their entries belong in the file
    /// (a retry with the same request id then finds them). This actor is the file's only writer, so it appends them.
    /// </summary>
    private void AppendLate(IReadOnlyList<InsertOutcome> outcomes)
    {
        var entries = outcomes.OfType<InsertOutcome.Inserted>().Select(i => i.Content).ToList();
        if (entries.Count == 0) return;
        try
        {
            AppendOnlyFile.AppendMissing(_filePath, _file.Header, entries, flushToDisk: true);
            _committer.Tell(CommitterProtocol.RecordsWaiting.Instance);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left to start-up repair, which appends every pending entry missing from its file.
            _log.Warning("Could not append {0} late entries to {1}: {2}", entries.Count, _file.RelativePath, e.Message);
        }
    }

    private void FinishBatch(IReadOnlyList<RecordReply> replies)
    {
        for (var i = 0; i < _batch.Count; i++)
        {
            var reply = replies[i];
            ElfMetrics.CountReply(reply, _monitor, _batch[i].StartedAt);
            _batch[i].ReplyTo.Tell(reply);
        }
        _batch = [];
        _busy = false;
        StartBatch();
    }
}
