using Akka.Actor;
using ElfActors.Core;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using static ElfActors.Actors.IndexWriterProtocol;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Actors;

/// <summary>
/// Records one architecture decision, then stops: validate → row and outbox entry (the file's text, headed
/// with the row's id) in one transaction → file written at its reserved name → reply → ring the committer.
/// A file that cannot be placed takes its row back before the answer.
/// </summary>
public sealed class DecisionRecorderActor : ReceiveActor
{
    private readonly MemoryPaths _paths;
    private readonly ElfSettings _settings;
    private readonly IActorRef _indexWriter;
    private readonly IActorRef _committer;
    private readonly ElfMonitor _monitor;
    private readonly TimeProvider _clock;
    private readonly long _startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private IActorRef _replyTo = ActorRefs.Nobody;
    private bool _answered;

    public DecisionRecorderActor(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock)
    {
        _paths = paths;
        _settings = settings;
        _indexWriter = indexWriter;
        _committer = committer;
        _monitor = monitor;
        _clock = clock;
        Receive<RecordDecision>(Start);
    }

    public static Props Props(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new DecisionRecorderActor(paths, settings, indexWriter, committer, monitor, clock))
            .WithDispatcher(ElfSettings.RecorderDispatcher);

    private void Start(RecordDecision request)
    {
        _replyTo = Sender;
        var errors = DecisionValidator.Validate(request.Input, out var decision).ToList();
        if (!RequestId.IsValid(request.RequestId, out var requestIdError)) errors.Add(new ValidationError("request-id", requestIdError!));
        if (errors.Count > 0)
        {
            Finish(new Rejected(errors));
            return;
        }
        var created = DateOnly.FromDateTime(_clock.GetLocalNow().DateTime);
        _indexWriter.Tell(new InsertDecision(new DecisionInsert(request.RequestId, decision!, created)));
        SetReceiveTimeout(_settings.RecorderReplyTimeout);
        Become(AwaitingIndex);
    }

    private void AwaitingIndex()
    {
        Receive<InsertReply>(reply =>
        {
            switch (reply.Outcome)
            {
                case InsertOutcome.Inserted inserted:
                    // Rendered by the index writer (it is headed with the row's id): written at its reserved name, as failures are.
                    if (RecordFiles.Create(_paths, _settings.FsyncFiles, inserted, inserted.Content!) is { } reason)
                    {
                        _indexWriter.Tell(new DeleteRecords(OutboxTables.Decisions, [inserted.RecordId]));
                        Become(() =>
                        {
                            Receive<DeleteReply>(undo => Finish(new Failed(undo.Error is null ? reason : $"{reason}; undoing the row also failed: {undo.Error}")));
                            Receive<ReceiveTimeout>(_ => Finish(new Failed(reason + "; undoing the row timed out")));
                        });
                        return;
                    }
                    Succeed(new Recorded(inserted.RecordId, inserted.RelativePath, Duplicate: false));
                    break;
                case InsertOutcome.Duplicate duplicate:
                    if (RecordFiles.RestoreIfLost(_paths, _settings.FsyncFiles, duplicate) is { } cannotRestore)
                    {
                        Finish(new Failed(cannotRestore));
                        return;
                    }
                    Succeed(new Recorded(duplicate.RecordId, duplicate.RelativePath, Duplicate: true));
                    break;
                case InsertOutcome.Failed failed:
                    Finish(new Failed(failed.Reason));
                    break;
            }
        });
        Receive<ReceiveTimeout>(_ =>
        {
            if (_answered)
            {
                Context.Stop(Self); // past the orphan grace the committer writes the file from the outbox
                return;
            }
            // As in FailureRecorderActor: the client is answered, but a row stored late still gets its file.
            Answer(new Failed($"timed out after {_settings.RecorderReplyTimeout.TotalSeconds:0.#}s waiting for the index writer"));
            SetReceiveTimeout(_settings.OrphanGrace - _settings.RecorderReplyTimeout);
        });
    }

    private void Succeed(Recorded recorded)
    {
        Finish(recorded);
        _committer.Tell(new CommitterProtocol.CommitRequested(0));
    }

    private void Finish(RecordReply reply)
    {
        if (!_answered) Answer(reply);
        Context.Stop(Self);
    }

    private void Answer(RecordReply reply)
    {
        _answered = true;
        ElfMetrics.CountReply(reply, _monitor, _startedAt);
        _replyTo.Tell(reply);
    }
}
