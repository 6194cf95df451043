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

    internal void PushRejected()
    {
        lock (_gate) _rejectedPushes++;
    }
}
