using Akka.Actor;
using Akka.Pattern;
using ElfActors.Core;
using ElfActors.Core.Git;

namespace ElfActors.Actors;

/// <summary>
/// Runs the committer under a back-off supervisor: a git error stops it, and a fresh one starts after an
/// exponentially growing delay. The stopped one's mailbox is lost, which is why the outbox is the queue.
/// </summary>
public static class CommitterSupervision
{
    public const string ChildName = "git-committer";

    public static Props Props(MemoryPaths paths, ElfSettings settings, GitStoreFactory gitStoreFactory, IActorRef indexWriter,
        ElfMonitor monitor, TimeProvider clock, MemoryFolder? folder = null)
    {
        var child = GitCommitterActor.Props(paths, settings, gitStoreFactory, indexWriter, monitor, clock, folder);
        var options = Backoff.OnFailure(child, ChildName, settings.BackoffMin, settings.BackoffMax,
                settings.BackoffRandomFactor, maxNrOfRetries: -1)
            .WithAutoReset(settings.BackoffResetAfter)
            .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Restart));
        return BackoffSupervisor.Props(options);
    }
}
