using Akka.Actor;
using ElfActors.Core;
using ElfActors.Core.Records;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Actors;

/// <summary>
/// The front door: one short-lived recorder per failure or decision, so records proceed independently; one
/// long-lived <see cref="HeuristicDomainActor"/> per heuristics domain file, so appends to a file never race.
/// </summary>
public sealed class RecordingCoordinator : ReceiveActor
{
    public RecordingCoordinator(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock)
    {
        var recorderProps = FailureRecorderActor.Props(paths, settings, indexWriter, committer, monitor, clock);
        Receive<RecordFailure>(request => Context.ActorOf(recorderProps).Forward(request));
        var decisionProps = DecisionRecorderActor.Props(paths, settings, indexWriter, committer, monitor, clock);
        Receive<RecordDecision>(request => Context.ActorOf(decisionProps).Forward(request));
        Receive<RecordHeuristic>(request =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            // Validated here: the domain file (and so the actor) follows from ELF's sanitised domain.
            var errors = HeuristicValidator.Validate(request.Input, out var heuristic).ToList();
            if (!RequestId.IsValid(request.RequestId, out var requestIdError)) errors.Add(new ValidationError("request-id", requestIdError!));
            if (errors.Count > 0)
            {
                ElfMetrics.RecordsRejected.Add(1);
                Sender.Tell(new Rejected(errors));
                return;
            }
            var name = "heuristics-" + heuristic!.Domain;
            var domainActor = Context.Child(name);
            if (domainActor.IsNobody())
                domainActor = Context.ActorOf(HeuristicDomainActor.Props(heuristic.Domain, paths, settings, indexWriter, committer, monitor, clock), name);
            domainActor.Tell(new HeuristicDomainProtocol.AppendHeuristic(request.RequestId, heuristic, Sender, started));
        });
    }

    // A recorder that throws has already failed its one request; restarting it would only repeat that.
    // A domain actor catches its I/O errors; one that throws anyway is stopped and re-created by the next heuristic.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(MemoryPaths paths, ElfSettings settings, IActorRef indexWriter, IActorRef committer, ElfMonitor monitor, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new RecordingCoordinator(paths, settings, indexWriter, committer, monitor, clock));
}
