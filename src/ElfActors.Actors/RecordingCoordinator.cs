using Akka.Actor;
using Akka.Event;
using ElfActors.Core;
using ElfActors.Core.Files;
using ElfActors.Core.Records;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Actors;

/// <summary>
/// The front door: one short-lived <see cref="RecorderActor"/> per record of a kind with files of its own, so records
/// proceed independently; one long-lived <see cref="AppendingRecorderActor"/> per shared file of an appending kind
/// (a heuristics domain file), so appends to a file never race.
/// </summary>
public sealed class RecordingCoordinator : ReceiveActor
{
    /// <summary>Empty files the recorders write records into (ADR 0080), refilled on its own thread; null with elf.recorder.file-pool-size = 0.</summary>
    private readonly RecordFilePool? _filePool;

    public RecordingCoordinator(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock)
    {
        if (settings.RecordFilePoolSize > 0 && OperatingSystem.IsLinux())
            _filePool = new RecordFilePool(RecordFilePool.DirectoryIn(paths), settings.RecordFilePoolSize);
        if (_filePool?.NotUsedBecause is { } reason)
            Context.GetLogger().Warning("Records create their files at their names, without the record file pool: {0} (docs/adr/0083)", reason);
        var recorderProps = RecorderActor.Props(paths, settings, indexWriter, committer, monitor, clock, _filePool);
        Receive<RecordRequest>(request =>
        {
            if (!request.Input.Kind.Appends)
            {
                Context.ActorOf(recorderProps).Forward(request);
                return;
            }
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            // Validated here: the shared file (and so its writer) follows from the record (a heuristic's sanitised domain).
            var created = DateOnly.FromDateTime(clock.GetLocalNow().DateTime);
            var errors = request.Input.Kind.Validate(request.Input, created, out var draft).ToList();
            if (!RequestId.IsValid(request.RequestId, out var requestIdError)) errors.Add(new ValidationError("request-id", requestIdError!));
            if (errors.Count > 0)
            {
                ElfMetrics.RecordsRejected.Add(1);
                Sender.Tell(new Rejected(errors));
                return;
            }
            var file = (RecordFile.Shared)draft!.File;
            var name = "append-" + file.RelativePath.Replace('/', '_');
            var writer = Context.Child(name);
            if (writer.IsNobody())
                writer = Context.ActorOf(AppendingRecorderActor.Props(file, paths, settings, indexWriter, committer, monitor), name);
            writer.Tell(new AppendingRecorderProtocol.AppendRecord(request.RequestId, draft, Sender, started));
        });
    }

    protected override void PostStop() => _filePool?.Dispose();

    // A recorder that throws has already failed its one request; restarting it would only repeat that.
    // An appending recorder catches its I/O errors; one that throws anyway is stopped and re-created by the next record.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new RecordingCoordinator(paths, settings, indexWriter, committer, monitor, clock));
}
