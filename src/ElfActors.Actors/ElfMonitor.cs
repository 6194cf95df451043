namespace ElfActors.Actors;

/// <summary>
/// What the running actors report about themselves, readable from any thread without asking them (a committer
/// that is backing off has no mailbox to ask). Written by the recorders and the committer; read by status.
/// </summary>
public sealed class ElfMonitor
{
    private readonly object _gate = new();
    private readonly Queue<(DateTimeOffset At, int Count)> _recentCommits = new();
    private long _acknowledged;
    private long _committed;
    private int _committerStarts;
    private string _committerState = "starting";
    private string? _lastCommitId;
    private string? _gitWriter;
    private DateTimeOffset? _lastCommitAt;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>What sync through a git remote is doing (docs/sync.md).</summary>
    public SyncMonitor Sync { get; } = new();

    /// <summary>Set when a shutdown drain committed every record (a host's exit code reports it).</summary>
    public bool Drained { get; internal set; }
    public long Acknowledged => Interlocked.Read(ref _acknowledged);
    public long Committed => Interlocked.Read(ref _committed);
    public int CommitterStarts => Volatile.Read(ref _committerStarts);

    /// <summary>
    /// The committer has nothing to do and no timer: a record, a question, or a change the system reports in the
    /// repository or the index file wakes it (docs/adr/0042). False while it sweeps, and where changes cannot be watched.
    /// </summary>
    public bool CommitterResting
    {
        get => Volatile.Read(ref _committerResting);
        internal set => Volatile.Write(ref _committerResting, value);
    }

    private bool _committerResting;

    public string CommitterState
    {
        get { lock (_gate) return _committerState; }
    }

    /// <summary>The git writer of the last commit, and why when it is not the one configured (docs/git-writer.md).</summary>
    public string? GitWriter
    {
        get { lock (_gate) return _gitWriter; }
    }

    internal void SetGitWriter(string writer)
    {
        lock (_gate) _gitWriter = writer;
    }

    public (string? Id, DateTimeOffset? At) LastCommit
    {
        get { lock (_gate) return (_lastCommitId, _lastCommitAt); }
    }

    internal int CommitterStarted() => Interlocked.Increment(ref _committerStarts);

    internal void RecordAcknowledged() => Interlocked.Increment(ref _acknowledged);

    internal void SetCommitterState(string state)
    {
        lock (_gate) _committerState = state;
    }

    private long _committerLookedAt;

    /// <summary>When the committer last looked at the outbox (a batch began), by <see cref="System.Diagnostics.Stopwatch"/>; 0 never.</summary>
    public long CommitterLookedAt => Interlocked.Read(ref _committerLookedAt);

    internal void CommitterLooked() => Interlocked.Exchange(ref _committerLookedAt, System.Diagnostics.Stopwatch.GetTimestamp());

    internal void RecordCommit(string commitId, DateTimeOffset at, int records)
    {
        Interlocked.Add(ref _committed, records);
        lock (_gate)
        {
            _lastCommitId = commitId;
            _lastCommitAt = at;
            _recentCommits.Enqueue((at, records));
            Trim(at);
        }
    }

    /// <summary>Records committed per second over the last minute.</summary>
    public double RecordsPerSecond(DateTimeOffset now)
    {
        lock (_gate)
        {
            Trim(now);
            var window = Math.Min(60, Math.Max(1, (now - StartedAt).TotalSeconds));
            return Math.Round(_recentCommits.Sum(c => c.Count) / window, 1);
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (_recentCommits.Count > 0 && now - _recentCommits.Peek().At > TimeSpan.FromMinutes(1)) _recentCommits.Dequeue();
    }
}
