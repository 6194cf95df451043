using ElfActors.Actors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

/// <summary>
/// Stops the host once its memory's folder is found deleted, moved away or replaced (<see cref="Core.MemoryFolder"/>,
/// docs/adr/0074): it says so in one line and stops; the stop's drain does not wait for commits that cannot be made. It
/// waits on the folder's one-shot completion, set by whoever found it gone (the index writer before a write or before it
/// would put the index back, the committer, the drain): no timer, nothing looked at while the memory is there.
/// </summary>
public sealed class MemoryGoneExitService(ElfActorsOptions options, IHostApplicationLifetime lifetime, ILogger<MemoryGoneExitService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string reason;
        try
        {
            reason = await options.Folder.WhenGone.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        log.LogError("{Reason}: this host stops and writes nothing more there (the next elf command starts a host for what is at that path)", reason);
        lifetime.StopApplication();
    }
}
