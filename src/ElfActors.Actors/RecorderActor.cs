using Akka.Actor;
using Akka.Event;
using ElfActors.Contracts;
using ElfActors.Core;
using ElfActors.Core.Files;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using static ElfActors.Actors.IndexWriterProtocol;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Actors;

/// <summary>
/// Records one record of a kind with a file of its own (a learning, a decision …), then stops: validate (its kind's
/// rules) → row and outbox entry in one SQLite transaction (through the index writer, which reserves the file name
/// and renders what needs the row's id) → the file, written at that name → reply → ring the committer.
/// Whatever fails before the reply leaves no file, row or outbox entry behind. Nothing is on disk before the row:
/// a crash after the row is repaired from the outbox (the row holds the whole file), see docs/adr/0010.
/// </summary>
public sealed class RecorderActor : UntypedActor
{
    // One actor per request: an UntypedActor with a stage field, because ReceiveActor builds its handler table for
    // every instance and again on every Become, which was a fifth of a recorder's CPU (docs/adr/0009).
    private enum Stage { Starting, AwaitingIndex, AwaitingLateIndex, AwaitingUndo }

    private readonly MemoryPaths _paths;
    private readonly ElfSettings _settings;
    private readonly IActorRef _indexWriter;
    private readonly IActorRef _committer;
    private readonly TimeProvider _clock;
    private readonly ElfMonitor _monitor;
    private readonly RecordFilePool? _filePool;
    private readonly long _startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private IActorRef _replyTo = ActorRefs.Nobody;
    private string _rowTable = string.Empty;
    private Stage _stage = Stage.Starting;
    private string _undoReason = string.Empty;

    public RecorderActor(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock, RecordFilePool? filePool)
    {
        _filePool = filePool;
        _paths = paths;
        _settings = settings;
        _indexWriter = indexWriter;
        _committer = committer;
        _clock = clock;
        _monitor = monitor;
    }

    protected override void OnReceive(object message)
    {
        switch (_stage, message)
        {
            case (Stage.Starting, RecordRequest request): Start(request); break;
            case (Stage.AwaitingIndex, InsertReply reply): Inserted(reply); break;
            case (Stage.AwaitingIndex, ReceiveTimeout): TimedOut(); break;
            case (Stage.AwaitingLateIndex, InsertReply reply): InsertedLate(reply); break;
            // Past the orphan grace the committer writes a missing file from the outbox itself.
            case (Stage.AwaitingLateIndex, ReceiveTimeout): Context.Stop(Self); break;
            case (Stage.AwaitingUndo, DeleteReply reply):
                Finish(new Failed(reply.Error is null ? _undoReason : $"{_undoReason}; undoing the row also failed: {reply.Error}"));
                break;
            case (Stage.AwaitingUndo, ReceiveTimeout): Finish(new Failed(_undoReason + "; undoing the row timed out")); break;
            default: Unhandled(message); break;
        }
    }

    /// <summary>The recorders' dispatcher threads as the system shows them (docs/adr/0077).</summary>
    internal const string SystemThreadName = "elf-recorder";

    public static Props Props(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock, RecordFilePool? filePool = null) =>
        Akka.Actor.Props.Create(() => new RecorderActor(paths, settings, indexWriter, committer, monitor, clock, filePool))
            .WithDispatcher(ElfSettings.RecorderDispatcher);

    private void Start(RecordRequest request)
    {
        Posix.NameThisThread(SystemThreadName); // once per thread of the recorders' dispatcher
        _replyTo = Sender;
        var created = DateOnly.FromDateTime(_clock.GetLocalNow().DateTime);
        var errors = request.Input.Kind.Validate(request.Input, created, out var draft).ToList();
        if (!RequestId.IsValid(request.RequestId, out var requestIdError)) errors.Add(new ValidationError("request-id", requestIdError!));
        if (errors.Count > 0)
        {
            Finish(new Rejected(errors));
            return;
        }

        _rowTable = draft!.Kind.RowTable;
        _indexWriter.Tell(new InsertRecord(new RecordInsert(request.RequestId, draft)));
        SetReceiveTimeout(_settings.RecorderReplyTimeout);
        _stage = Stage.AwaitingIndex;
    }

    private void Inserted(InsertReply reply)
    {
        switch (reply.Outcome)
        {
            case InsertOutcome.Inserted inserted:
                if (RecordFiles.Create(_paths, _settings.FsyncFiles, inserted, _filePool) is { } cannotPlace)
                {
                    // The row is stored but the file cannot be: take the row back before answering.
                    _undoReason = cannotPlace;
                    _indexWriter.Tell(new DeleteRecords(_rowTable, [inserted.RecordId]));
                    _stage = Stage.AwaitingUndo;
                    return;
                }
                Succeed(inserted.RecordId, inserted.RelativePath, duplicate: false);
                break;

            case InsertOutcome.Duplicate duplicate:
                // A retry: the first record answers. Its file is put back if a crash lost it.
                if (RecordFiles.RestoreIfLost(_paths, _settings.FsyncFiles, duplicate) is { } cannotRestore)
                {
                    Finish(new Failed(cannotRestore));
                    return;
                }
                Succeed(duplicate.RecordId, duplicate.RelativePath, duplicate: true);
                break;

            case InsertOutcome.Failed failed:
                Finish(new Failed(failed.Reason));
                break;
        }
    }

    private void TimedOut()
    {
        // The client is answered, but the row may still be stored: see the insert through, so that a late row
        // gets its file (the record lands, at most once) instead of being an orphan.
        Answer(new Failed($"timed out after {_settings.RecorderReplyTimeout.TotalSeconds:0.#}s waiting for the index writer"));
        SetReceiveTimeout(_settings.OrphanGrace - _settings.RecorderReplyTimeout);
        _stage = Stage.AwaitingLateIndex;
    }

    private void InsertedLate(InsertReply reply)
    {
        switch (reply.Outcome)
        {
            case InsertOutcome.Inserted inserted:
                PlacedLate(inserted.RecordId, RecordFiles.Create(_paths, _settings.FsyncFiles, inserted, _filePool));
                break;
            case InsertOutcome.Duplicate duplicate:
                PlacedLate(duplicate.RecordId, RecordFiles.RestoreIfLost(_paths, _settings.FsyncFiles, duplicate));
                break;
        }
        Context.Stop(Self);
    }

    private void PlacedLate(long recordId, string? cannotPlace)
    {
        if (cannotPlace is null) _committer.Tell(new CommitterProtocol.RecordPlaced(_rowTable, recordId));
        // Left to the committer, which writes a missing file from the outbox after the orphan grace.
        else Context.GetLogger().Warning("Could not place a late record's file: {0}", cannotPlace);
    }

    private void Succeed(long recordId, string relativePath, bool duplicate)
    {
        Finish(new Recorded(recordId, relativePath, duplicate));
        _committer.Tell(new CommitterProtocol.RecordPlaced(_rowTable, recordId));
    }

    private void Finish(RecordReply reply)
    {
        Answer(reply);
        Context.Stop(Self);
    }

    private void Answer(RecordReply reply)
    {
        ElfMetrics.CountReply(reply, _monitor, _startedAt);
        _replyTo.Tell(reply);
    }

}
