namespace ElfActors.Actors;

/// <summary>What the sync actor reports about itself (docs/sync.md), readable from any thread: `elf status` and `elf sync`.</summary>
public sealed class SyncMonitor
{
    private readonly object _gate = new();
    private string _state = "starting";
    private string? _upstream;
    private int _ahead;
    private int _behind;
    private DateTimeOffset? _lastSyncAt;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private long _rounds;
    private long _rejectedPushes;
    private long _upstreamLooks;
    private long _roundsOff;

    public sealed record Snapshot(string State, string? Upstream, int Ahead, int Behind, DateTimeOffset? LastSyncAt,
        string? LastError, DateTimeOffset? LastErrorAt, long Rounds, long RejectedPushes);

    public Snapshot Read()
    {
        lock (_gate) return new Snapshot(_state, _upstream, _ahead, _behind, _lastSyncAt, _lastError, _lastErrorAt, _rounds, _rejectedPushes);
    }

    internal void SetState(string state, string? upstream = null)
    {
        lock (_gate)
        {
            _state = state;
            if (upstream is not null) _upstream = upstream;
        }
    }

    internal void Synced(DateTimeOffset at, int ahead, int behind)
    {
        lock (_gate)
        {
            _lastSyncAt = at;
            _ahead = ahead;
            _behind = behind;
            _lastError = null;
            _rounds++;
        }
    }

    internal void Failed(DateTimeOffset at, string error, int ahead, int behind)
    {
        lock (_gate)
        {
            _lastError = error;
            _lastErrorAt = at;
            _ahead = ahead;
            _behind = behind;
            _rounds++;
        }
    }

    /// <summary>Looks for the branch's upstream with git (three processes each), counted for tests (docs/adr/0082).</summary>
    internal long UpstreamLooks => Interlocked.Read(ref _upstreamLooks);

    /// <summary>Rounds that ended with sync off (no upstream), whether they looked or found nothing changed since the last look.</summary>
    internal long RoundsOff => Interlocked.Read(ref _roundsOff);

    internal void LookedForUpstream() => Interlocked.Increment(ref _upstreamLooks);

    internal void EndedOff() => Interlocked.Increment(ref _roundsOff);

    internal void PushRejected()
    {
        lock (_gate) _rejectedPushes++;
    }
}
