using Akka.Actor;
using Akka.Hosting;
using ElfActors.Actors;
using ElfActors.Contracts.Wire;
using static ElfActors.Contracts.Wire.WireProtocol;

namespace ElfActors.Host.Pipe;

/// <summary>`elf sync` and the sync part of `elf status` (docs/sync.md).</summary>
internal static class SyncRequests
{
    public static SyncStatus Status(SyncMonitor monitor)
    {
        var read = monitor.Read();
        return new SyncStatus
        {
            State = read.State,
            Upstream = read.Upstream,
            Ahead = read.Ahead,
            Behind = read.Behind,
            LastSyncAt = read.LastSyncAt,
            LastError = read.LastError,
            LastErrorAt = read.LastErrorAt,
            RejectedPushes = read.RejectedPushes,
        };
    }

    /// <summary>
    /// Starts a round; with <see cref="WireRequest.WaitCommit"/> (`elf sync --now`) first waits until every acknowledged
    /// record is committed, then for the round to end, and answers how it went (failed: offline, a conflict, sync off).
    /// </summary>
    public static async Task<WireResponse> HandleAsync(WireRequest request, ElfActorsOptions options, ActorRegistry registry, Func<Task<WireResponse>> flush)
    {
        if (options.Cluster is not null)
            return new WireResponse { Status = Statuses.Failed, Message = "sync is for a single-node host (one host per clone); cluster mode shares one file system instead (docs/sync.md)" };
        var sync = await registry.GetAsync<ElfSync>();
        if (!request.WaitCommit)
        {
            sync.Tell(SyncProtocol.SyncNow.Instance, ActorRefs.NoSender);
            return new WireResponse { Message = "sync round requested", Sync = Status(options.Monitor.Sync) };
        }
        var flushed = await flush();
        if (flushed.Status != Statuses.Ok) return flushed;
        var timeout = TimeSpan.FromSeconds(request.TimeoutSeconds is > 0 and <= 86_400 ? request.TimeoutSeconds.Value : 60);
        SyncProtocol.SyncResult result;
        try
        {
            result = await sync.Ask<SyncProtocol.SyncResult>(SyncProtocol.SyncNow.Instance, timeout);
        }
        catch (AskTimeoutException)
        {
            return new WireResponse { Status = Statuses.Timeout, Message = $"the sync round did not end within {timeout.TotalSeconds:0.#}s", Sync = Status(options.Monitor.Sync) };
        }
        return new WireResponse
        {
            Status = result.Ok ? Statuses.Ok : Statuses.Failed,
            Message = result.Message,
            Sync = Status(options.Monitor.Sync) with { RoundOk = result.Ok, RoundMessage = result.Message, Ahead = result.Ahead, Behind = result.Behind },
        };
    }
}
