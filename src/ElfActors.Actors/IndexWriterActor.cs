using Akka.Actor;
using Akka.Event;
using ElfActors.Core;
using ElfActors.Core.Storage;
using static ElfActors.Actors.IndexWriterProtocol;

namespace ElfActors.Actors;

/// <summary>
/// The single writer of the SQLite index. Records of every kind that queued up while the last transaction ran are
/// stored in the next one (group commit: one fsync for many records); a batch in which one record fails is stored
/// again record by record under savepoints, so that record fails alone (MemoryIndex.InsertRecords).
/// </summary>
public sealed class IndexWriterActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MemoryPaths _paths;
    private readonly ElfSettings _settings;
    private readonly TimeProvider _clock;
    private readonly List<(RecordInsert Insert, IActorRef ReplyTo)> _buffer = [];
    private MemoryIndex? _index;
    private bool _flushScheduled;

    public IndexWriterActor(MemoryPaths paths, ElfSettings settings, TimeProvider clock)
    {
        _paths = paths;
        _settings = settings;
        _clock = clock;

        Receive<InsertRecord>(message =>
        {
            _buffer.Add((message.Insert, Sender));
            if (_buffer.Count >= _settings.IndexMaxBatchSize) Flush();
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
        Receive<InsertRecords>(message => Handle(
            index => new InsertRecordsReply(index.InsertRecords(message.Inserts, _clock.GetUtcNow()), message.Tag),
            reason => new InsertRecordsReply(message.Inserts.Select(_ => (InsertOutcome)new InsertOutcome.Failed(reason)).ToList(), message.Tag),
            $"{message.Inserts.Count} records"));
        Receive<DeleteRecords>(message => Handle(
            index =>
            {
                index.DeleteRecords(message.RowTable, message.RowIds);
                return new DeleteReply(null);
            },
            reason => new DeleteReply(reason),
            $"undo of {message.RowIds.Count} {message.RowTable} rows"));
        Receive<MarkCommitted>(message => Handle(
            index =>
            {
                index.MarkEntriesCommitted(message.OutboxIds, message.CommitId, message.At);
                return new MarkedCommitted(message.OutboxIds, null);
            },
            reason => new MarkedCommitted(message.OutboxIds, reason),
            $"marking {message.OutboxIds.Count} records committed"));
        // From the committer, which found memory/index.db gone or replaced: checked (and put back) now.
        Receive<CheckIndexFile>(_ =>
        {
            try
            {
                Index();
            }
            catch (Exception e)
            {
                _log.Warning("Could not put memory/index.db back: {0}", e.Message);
                DropIndex();
            }
        });
    }

    private void Handle(Func<MemoryIndex, object> write, Func<string, object> failed, string what)
    {
        try
        {
            Sender.Tell(write(Index()));
        }
        catch (Exception e)
        {
            // The transaction rolled back: nothing of it was stored.
            _log.Warning("Index transaction ({0}) failed: {1}", what, e.Message);
            DropIndex();
            Sender.Tell(failed("the index (memory/index.db) could not be written: " + e.Message));
        }
    }

    // The index opened at once (the bootstrap has just made it): a file deleted before the first record is put back too.
    protected override void PreStart()
    {
        try
        {
            Index();
        }
        catch (Exception e)
        {
            _log.Warning("memory/index.db could not be opened yet: {0}", e.Message);
        }
    }

    public static Props Props(MemoryPaths paths, ElfSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new IndexWriterActor(paths, settings, clock))
            .WithDispatcher(ElfSettings.IndexWriterDispatcher)
            .WithMailbox(ElfSettings.IndexWriterMailbox);

    private void Flush()
    {
        if (_buffer.Count == 0) return;
        var batch = _buffer.ToArray();
        _buffer.Clear();
        try
        {
            var outcomes = Index().InsertRecords(batch.Select(b => b.Insert).ToArray(), _clock.GetUtcNow());
            for (var i = 0; i < batch.Length; i++) batch[i].ReplyTo.Tell(new InsertReply(outcomes[i]));
        }
        catch (Exception e)
        {
            // The transaction rolled back: nothing of this batch was stored.
            _log.Warning("Index transaction of {0} records failed: {1}", batch.Length, e.Message);
            DropIndex();
            var failed = new InsertReply(new InsertOutcome.Failed("the index (memory/index.db) could not be written: " + e.Message));
            foreach (var (_, replyTo) in batch) replyTo.Tell(failed);
        }
    }

    // Opened lazily so that a database that cannot be opened fails requests with a clear reason
    // instead of failing the actor's start. Before each write, one stat: a memory/index.db deleted or replaced under
    // the host is put back from the connection still open here, before anything more is written (IndexFileGuard).
    private MemoryIndex Index()
    {
        if (_index is not null)
            _index = IndexFileGuard.KeepAtItsPath(_index, _paths, _settings.Index, _clock, restore: true, message => _log.Warning("{0}", message));
        return _index ??= MemoryIndex.Open(_paths, _settings.Index);
    }

    private void DropIndex()
    {
        _index?.Dispose();
        _index = null;
    }

    protected override void PostStop() => DropIndex();
}
