using Akka;
using Akka.Actor;
using Akka.Event;
using ElfActors.Core;

namespace ElfActors.Actors;

/// <summary>
/// A CoordinatedShutdown task: before the actors stop (SIGTERM, Ctrl-C, `elf stop`, or an embedding host
/// shutting down), wait until the committer has committed every record in the outbox. The phase's timeout
/// (elf.hocon raises it) bounds the wait; whatever is left stays in the outbox for the next start.
/// A cluster node that was downed does not wait: it is out of the cluster, so the committer it would ask is
/// either unreachable or, if it ran here, about to be started again on a survivor, and committing on past the
/// down would overlap with that successor. Its acknowledged records are in the shared outbox already.
/// A host whose memory folder was deleted, moved away or replaced (<see cref="MemoryFolder"/>, docs/adr/0074) does not wait
/// either: its repository is gone or another memory's, so nothing can be committed, and the wait was the phase's whole
/// timeout (120 s: SIGTERM took 60–130 s). One stat at the start and one per ask (at most 5 s apart).
/// </summary>
public static class CommitDrain
{
    public static void Register(ActorSystem system, IActorRef committer, ElfMonitor monitor, MemoryFolder? folder = null)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        var phaseTimeout = shutdown.Timeout(CoordinatedShutdown.PhaseServiceStop);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "elf-commit-drain", async () =>
        {
            var log = Logging.GetLogger(system, typeof(CommitDrain));
            if (shutdown.ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
            {
                log.Warning("This node was downed: stopping without waiting for the committer; its acknowledged records are in the shared outbox, for the committer on a surviving node");
                return Done.Instance;
            }
            var deadline = DateTime.UtcNow + phaseTimeout - TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < deadline)
            {
                if (folder?.Check() is { } gone)
                {
                    log.Warning("Not waiting for commits: {0}", gone);
                    return Done.Instance;
                }
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
