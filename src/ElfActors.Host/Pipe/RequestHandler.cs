using System.Diagnostics;
using System.Reflection;
using Akka.Actor;
using Akka.Hosting;
using ElfActors.Actors;
using ElfActors.Contracts.Wire;
using ElfActors.Core.Audit;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using Microsoft.Extensions.Hosting;
using static ElfActors.Contracts.Wire.WireProtocol;

namespace ElfActors.Host.Pipe;

/// <summary>What the pipe server hands each request to.</summary>
public interface IWireRequestHandler
{
    Task<WireResponse> HandleAsync(WireRequest request);
}

/// <summary>Turns one wire request into messages to the actors, and their answers into one wire response.</summary>
public sealed class RequestHandler(
    ElfActorsOptions options,
    ActorRegistry registry,
    ActorSystem system,
    CommitWaiter commitWaiter,
    IHostApplicationLifetime lifetime,
    IdleMonitor idle,
    LastErrorLog? lastError = null) : IWireRequestHandler
{
    private readonly ElfSettings _settings = ElfSettings.From(system.Settings.Config);

    public async Task<WireResponse> HandleAsync(WireRequest request)
    {
        // Watching the host (status, ping) is not using it: only other requests keep an auto-started host up.
        if (request.Command is Commands.Status or Commands.Ping) return await HandleVersionedAsync(request) with { HostVersion = ElfVersion.Current };
        using var working = idle.Working();
        return await HandleVersionedAsync(request) with { HostVersion = ElfVersion.Current };
    }

    /// <summary>
    /// The answer to a request this host must not serve: another protocol version, or another release's client asking
    /// for anything but what lets it see and replace this host (docs/adr/0024). Null when the request may be served.
    /// </summary>
    internal static WireResponse? VersionRefusal(WireRequest request)
    {
        if (request.Version != WireProtocol.Version)
            return WireResponse.ProtocolError(Errors.UnsupportedVersion,
                $"protocol version {request.Version} is not supported (this host speaks {WireProtocol.Version}); use the elf client that came with this host");
        // Another release may mean other fields or other meanings: only the commands that let a client see and replace
        // this host are served to it (docs/adr/0024).
        if (request.ClientVersion is { } clientVersion && ElfVersion.Compare(clientVersion, ElfVersion.Current) != 0
            && request.Command is not (Commands.Status or Commands.Stop or Commands.Ping))
            return WireResponse.ProtocolError(Errors.VersionMismatch,
                $"this host runs ElfActors {ElfVersion.Current} and the client {clientVersion}; nothing was done");
        return null;
    }

    internal static bool IsRecord(WireRequest request) =>
        request.Command is Commands.RecordFailure or Commands.Record or Commands.RecordHeuristic or Commands.RecordDecision;

    /// <summary>Rings the committer: records are in the outbox that it may not have been told of (docs/adr/0053's hand-off).</summary>
    internal async Task WakeCommitterAsync() => (await registry.GetAsync<ElfCommitter>()).Tell(CommitterProtocol.RecordsWaiting.Instance);

    private async Task<WireResponse> HandleVersionedAsync(WireRequest request)
    {
        if (VersionRefusal(request) is { } refusal) return refusal;
        if (lifetime.ApplicationStopping.IsCancellationRequested && IsRecord(request))
            return WireResponse.ProtocolError(Errors.ShuttingDown, "the host is shutting down; retry and a new host will start");

        return request.Command switch
        {
            _ when IsRecord(request) => await RecordAsync(request),
            Commands.Status => Status(),
            Commands.Flush => await FlushAsync(Timeout(request, 60)),
            Commands.Verify => await VerifyAsync(request),
            Commands.Sync => await SyncRequests.HandleAsync(request, options, registry, () => FlushAsync(Timeout(request, 60))),
            Commands.Stop => Stop(),
            Commands.Ping => new WireResponse { Message = "pong" },
            _ => WireResponse.ProtocolError(Errors.UnknownCommand, $"unknown command '{request.Command}'"),
        };
    }

    /// <summary>The record a record command's fields describe (null where the command came without them), and what to call it.</summary>
    internal static (IRecordInput? Input, string What) InputOf(WireRequest request) => request.Command switch
    {
        Commands.RecordHeuristic => (request.Heuristic is { } h ? new HeuristicInput(h.Domain, h.Rule, h.Explanation, h.Source, h.Confidence) : null, "heuristic"),
        Commands.RecordDecision => (request.Decision is { } d ? new DecisionInput(d.Title, d.Context, d.Decision, d.Rationale, d.Options, d.Domain, d.Files, d.Tests) : null, "decision"),
        _ => (request.Failure is { } f
            ? new LearningInput(f.Title, f.Domain, f.Severity, f.Tags, f.Summary) { Type = request.Command == Commands.Record ? request.LearningType : null, RowSummary = f.RowSummary }
            : null, "failure"),
    };

    private async Task<WireResponse> RecordAsync(WireRequest request)
    {
        var (input, what) = InputOf(request);
        if (input is null) return MissingFields(what);
        // A shared file has one writer per process; across cluster nodes that would be several (ADR 0008).
        if (options.Cluster is not null && input.Kind.Appends)
            return new WireResponse { Status = Statuses.Failed, Message = $"{request.Command} is not available in cluster mode yet: a shared {what} file needs one writer in the whole cluster (docs/adr/0008); record it through a single-node host" };
        var requestId = request.RequestId ?? RequestId.New();
        var (response, recorded) = await AskRecorderAsync(new RecordingProtocol.RecordRequest(requestId, input), requestId, what == "failure" ? "record" : what);
        // Waiting for the commit is record-failure's (and record's) --wait-commit.
        if (recorded is null || !request.WaitCommit || input is not LearningInput) return response;

        var commit = await commitWaiter.WaitAsync(recorded.RecordId, Timeout(request, 60));
        return commit is null
            ? new WireResponse
            {
                Status = Statuses.Timeout,
                Record = response.Record,
                Message = $"recorded as {recorded.RecordId} ({recorded.RelativePath}), but not committed within {Timeout(request, 60).TotalSeconds:0.#}s; it stays queued",
            }
            : new WireResponse { Record = response.Record! with { Commit = commit } };
    }

    internal static WireResponse MissingFields(string what) =>
        new() { Status = Statuses.Rejected, Message = $"record-{what} needs the {what}'s fields", Errors = [new(what, "missing")] };

    /// <summary>Asks the recording coordinator and maps its answer to a response (and the record, when it was recorded).</summary>
    private async Task<(WireResponse Response, RecordingProtocol.Recorded? Recorded)> AskRecorderAsync(object message, string requestId, string what)
    {
        var recording = await registry.GetAsync<ElfRecording>();
        RecordingProtocol.RecordReply reply;
        try
        {
            reply = await recording.Ask<RecordingProtocol.RecordReply>(message, _settings.RecorderReplyTimeout + TimeSpan.FromSeconds(5));
        }
        catch (AskTimeoutException)
        {
            return (new WireResponse { Status = Statuses.Timeout, Message = $"the host did not store the {what} in time; retry with the same --request-id" }, null);
        }
        return (ResponseOf(reply, requestId), reply as RecordingProtocol.Recorded);
    }

    /// <summary>A recorder's answer as the wire's.</summary>
    internal static WireResponse ResponseOf(RecordingProtocol.RecordReply reply, string requestId)
    {
        switch (reply)
        {
            case RecordingProtocol.Rejected rejected:
                return new WireResponse
                {
                    Status = Statuses.Rejected,
                    Message = rejected.Message,
                    Errors = rejected.Errors.Select(e => new FieldError(e.Field, e.Message)).ToList(),
                };
            case RecordingProtocol.Failed failed:
                return new WireResponse { Status = Statuses.Failed, Message = failed.Reason };
        }
        var recorded = (RecordingProtocol.Recorded)reply;
        return new WireResponse { Record = new RecordResult(recorded.RecordId, recorded.RelativePath, requestId, recorded.Duplicate, null) };
    }

    private WireResponse Status()
    {
        // A running host answers whatever state its index is in: `elf status` said "not running" while a person's
        // `rm memory/index.db*` waited for the index writer to put it back.
        OutboxCounts counts;
        string? indexUnreadable = null;
        try
        {
            counts = OutboxQueries.Counts(options.Paths);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            counts = new OutboxCounts(0, 0, null, null);
            indexUnreadable = File.Exists(options.Paths.DatabasePath)
                ? $"memory/index.db cannot be read now ({e.Message})"
                : Directory.Exists(options.Paths.DatabasePath)
                    ? "memory/index.db is a folder, not the index: the host puts the index back once the path is free"
                    : "memory/index.db is missing: the host puts it back before its next write, or rebuilds it at its next start";
        }
        var monitor = options.Monitor;
        var now = DateTimeOffset.UtcNow;
        var (lastId, lastAt) = monitor.LastCommit;
        return new WireResponse
        {
            HostStatus = new HostStatus
            {
                Running = true,
                BasePath = options.Paths.BasePath,
                Pid = Environment.ProcessId,
                Version = ElfVersion.Current,
                AutoStarted = idle.AutoStarted,
                UptimeSeconds = Math.Round((now - monitor.StartedAt).TotalSeconds, 1),
                Pending = counts.Pending,
                Committed = counts.Committed,
                IndexUnreadable = indexUnreadable,
                AcknowledgedSinceStart = monitor.Acknowledged,
                CommittedSinceStart = monitor.Committed,
                LastCommitId = lastId ?? counts.LastCommitId,
                LastCommitAt = lastAt ?? counts.LastCommitAt,
                CommitterState = monitor.CommitterState,
                CommitterStarts = monitor.CommitterStarts,
                CommitterLookedSecondsAgo = monitor.CommitterLookedAt == 0 ? null : Math.Round(Stopwatch.GetElapsedTime(monitor.CommitterLookedAt).TotalSeconds, 1),
                CommitterStall = indexUnreadable is null ? CommitterStall(counts.Pending) : null,
                GitWriter = monitor.GitWriter,
                RecordsPerSecond = monitor.RecordsPerSecond(now),
                LastError = lastError?.Last?.Message,
                LastErrorAt = lastError?.Last?.At,
                Sync = SyncRequests.Status(monitor.Sync),
                Cluster = options.Cluster is null ? null : ClusterStatusReader.Read(system),
            },
        };
    }

    /// <summary>
    /// Records pending while the committer, awake (not resting), has not looked at the outbox for five sweeps (at least
    /// 10 s): nothing woke it, not even its sweep timer. Said with the scheduler's own view of its timers.
    /// </summary>
    private string? CommitterStall(long pending)
    {
        var monitor = options.Monitor;
        if (pending == 0 || monitor.CommitterResting || monitor.CommitterLookedAt == 0) return null;
        var quiet = Stopwatch.GetElapsedTime(monitor.CommitterLookedAt);
        var limit = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(10).Ticks, _settings.SweepInterval.Ticks * 5));
        if (quiet < limit) return null;
        var timers = system.Scheduler is ElfActors.Actors.DeadlineScheduler scheduler
            ? $"; the scheduler holds {scheduler.PendingCount} timers, the earliest overdue by {scheduler.OverdueBy.TotalSeconds:0.#} s"
            : "";
        return $"the committer has not looked at the outbox for {quiet.TotalSeconds:0} s while {pending} records wait (it looks every {_settings.SweepInterval.TotalSeconds:0.#} s while anything is to do){timers}";
    }

    private async Task<WireResponse> FlushAsync(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var committer = await registry.GetAsync<ElfCommitter>();
        var deadline = started + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var left = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            if (left <= TimeSpan.Zero) break;
            try
            {
                // A committer that restarts loses the question: ask again, a few seconds at a time.
                await committer.Ask<CommitterProtocol.AllCommitted>(CommitterProtocol.AwaitAllCommitted.Instance,
                    left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5));
                var done = OutboxQueries.Counts(options.Paths);
                return new WireResponse { Flush = new FlushResult(done.Pending, done.Committed, Seconds(started)) };
            }
            catch (AskTimeoutException)
            {
            }
        }
        var counts = OutboxQueries.Counts(options.Paths);
        return new WireResponse
        {
            Status = Statuses.Timeout,
            Flush = new FlushResult(counts.Pending, counts.Committed, Seconds(started)),
            Message = $"{counts.Pending} records still wait for a commit after {timeout.TotalSeconds:0.#}s (committer: {options.Monitor.CommitterState})"
                + (CommitterStall(counts.Pending) is { } stall ? "; " + stall : ""),
        };
    }

    private async Task<WireResponse> VerifyAsync(WireRequest request)
    {
        var timeout = Timeout(request, 60);
        await FlushAsync(timeout); // what is merely queued is not an inconsistency
        IReadOnlyList<string> repairs = [];
        if (request.Repair)
        {
            repairs = await Task.Run(() => MemoryVerifier.Repair(options.Paths, _settings.Index, _settings.FsyncFiles, options.Clock));
            (await registry.GetAsync<ElfCommitter>()).Tell(CommitterProtocol.RecordsWaiting.Instance);
            await FlushAsync(timeout);
        }
        var result = await Task.Run(() => MemoryVerifier.Verify(options.Paths)) with { Repairs = repairs };
        return new WireResponse { Status = result.Consistent ? Statuses.Ok : Statuses.Failed, Verify = result };
    }

    private WireResponse Stop()
    {
        // The pipe server answers this request before it stops (it waits for requests in flight); the drain
        // (every acknowledged record committed) runs as the host shuts down.
        _ = Task.Run(lifetime.StopApplication);
        return new WireResponse { Message = "stopping: committing every acknowledged record, then exiting" };
    }

    private static TimeSpan Timeout(WireRequest request, double defaultSeconds) =>
        TimeSpan.FromSeconds(request.TimeoutSeconds is > 0 and <= 86_400 ? request.TimeoutSeconds.Value : defaultSeconds);

    private static double Seconds(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 3);
}
