using Akka.Actor;
using ElfActors.Core;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Actors;

/// <summary>The front door: one short-lived recorder per request, so records proceed independently.</summary>
public sealed class RecordingCoordinator : ReceiveActor
{
    public RecordingCoordinator(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock)
    {
        var recorderProps = FailureRecorderActor.Props(paths, settings, indexWriter, committer, monitor, clock);
        Receive<RecordFailure>(request => Context.ActorOf(recorderProps).Forward(request));
    }

    // A recorder that throws has already failed its one request; restarting it would only repeat that.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new RecordingCoordinator(paths, settings, indexWriter, committer, monitor, clock));
}
