using Akka;
using Akka.Actor;
using Akka.Event;

namespace ElfActors.Actors;

/// <summary>
/// A CoordinatedShutdown task: before the actors stop (SIGTERM, Ctrl-C, `elf stop`, or an embedding host
/// shutting down), wait until the committer has committed every record in the outbox. The phase's timeout
/// (elf.hocon raises it) bounds the wait; whatever is left stays in the outbox for the next start.
/// </summary>
public static class CommitDrain
{
    public static void Register(ActorSystem system, IActorRef committer, ElfMonitor monitor)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        var phaseTimeout = shutdown.Timeout(CoordinatedShutdown.PhaseServiceStop);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "elf-commit-drain", async () =>
        {
            var log = Logging.GetLogger(system, typeof(CommitDrain));
            var deadline = DateTime.UtcNow + phaseTimeout - TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    var done = await committer.Ask<CommitterProtocol.AllCommitted>(CommitterProtocol.AwaitAllCommitted.Instance,
                        TimeSpan.FromSeconds(Math.Max(0.1, Math.Min(5, (deadline - DateTime.UtcNow).TotalSeconds))));
                    log.Info("Drained: every acknowledged record is committed ({0} records committed in all)", done.CommittedRecords);
                    monitor.Drained = true;
                    return Done.Instance;
                }
                catch (AskTimeoutException)
                {
                    // a committer restarting loses the question; ask again
                }
            }
            log.Warning("Shutdown drain timed out: records left in the outbox are committed on the next start");
            return Done.Instance;
        });
    }
}
