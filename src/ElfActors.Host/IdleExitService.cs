using Akka.Actor;
using ElfActors.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

/// <summary>
/// Stops a host that nobody has asked anything for <c>elf.host.idle-exit</c> (0: never), once nothing it
/// acknowledged is waiting for a commit; the stop is the usual drain. The next `elf` command starts a host again.
/// It sleeps until the idle period could have ended, so an idle host is woken once per period, not polled.
/// </summary>
public sealed class IdleExitService(
    ActorSystem system,
    MemoryPaths paths,
    IdleMonitor monitor,
    IHostApplicationLifetime lifetime,
    ILogger<IdleExitService> log) : BackgroundService
{
    public const string Setting = "elf.host.idle-exit";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = IdleMonitor.Period(system, Setting, log, "this host does not exit when idle");
        if (period <= TimeSpan.Zero) return;
        log.LogInformation("Exits after {Period} without requests and with nothing pending ({Setting})", period, Setting);
        try
        {
            while (true)
            {
                var idle = await monitor.WaitUntilIdleAsync(period, stoppingToken);
                var pending = OutboxQueries.Counts(paths).Pending;
                if (pending > 0)
                {
                    // Never while anything acknowledged is not in git (a lock held, a backing-off committer): look again
                    // one period later.
                    log.LogInformation("Idle for {Idle}, but {Pending} records wait for a commit: staying", idle, pending);
                    await Task.Delay(period, stoppingToken);
                    continue;
                }
                log.LogWarning("No requests for {Idle} and nothing pending: exiting (the next elf command starts a host again)", idle);
                lifetime.StopApplication();
                return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
