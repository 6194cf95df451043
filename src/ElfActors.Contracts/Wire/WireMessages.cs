namespace ElfActors.Contracts.Wire;

/// <summary>Protocol constants shared by the `elf` client and the host.</summary>
public static class WireProtocol
{
    public const int Version = 1;

    /// <summary>Largest frame either side accepts (a 50,000-character summary is at most ~200 KB of UTF-8).</summary>
    public const int MaxFrameBytes = 1024 * 1024;

    public static class Commands
    {
        public const string RecordFailure = "record-failure";
        /// <summary>A learnings record of any type (failure, success, observation, experiment): <see cref="WireRequest.LearningType"/>.</summary>
        public const string Record = "record";
        public const string RecordHeuristic = "record-heuristic";
        public const string RecordDecision = "record-decision";
        public const string Status = "status";
        public const string Flush = "flush";
        public const string Verify = "verify";
        public const string Stop = "stop";
        public const string Ping = "ping";
        /// <summary>A sync round through the branch's git upstream (docs/sync.md); with <see cref="WireRequest.WaitCommit"/> it waits for the round.</summary>
        public const string Sync = "sync";
    }

    public static class Statuses
    {
        /// <summary>Done as asked.</summary>
        public const string Ok = "ok";
        /// <summary>Invalid input: nothing written (exit 2).</summary>
        public const string Rejected = "rejected";
        /// <summary>The environment failed (exit 1).</summary>
        public const string Failed = "failed";
        /// <summary>Not done within the time asked for (exit 3).</summary>
        public const string Timeout = "timeout";
        /// <summary>The request itself was unusable: see <see cref="WireResponse.Error"/> (exit 1).</summary>
        public const string Error = "error";
    }

    public static class Errors
    {
        public const string FrameTooLarge = "frame-too-large";
        public const string MalformedFrame = "malformed-frame";
        public const string MalformedJson = "malformed-json";
        public const string UnsupportedVersion = "unsupported-version";
        public const string UnknownCommand = "unknown-command";
        public const string ShuttingDown = "shutting-down";
        /// <summary>The client's ElfActors release differs from the host's: see <see cref="WireResponse.HostVersion"/> (docs/adr/0024).</summary>
        public const string VersionMismatch = "version-mismatch";
        public const string Internal = "internal";
    }
}

/// <summary>
/// The fields of a failure as the caller gave them; the host validates them. <paramref name="RowSummary"/>: what the
/// learnings row keeps of the summary where it is not the summary's first line (ELF's record-failure.sh, the shim).
/// </summary>
public sealed record FailureFields(string? Title, string? Domain, string? Severity, string? Tags, string? Summary, string? RowSummary = null);

/// <summary>The fields of a heuristic as the caller gave them (ELF's record-heuristic flags).</summary>
public sealed record HeuristicFields(string? Domain, string? Rule, string? Explanation, string? Source, string? Confidence);

/// <summary>The fields of an architecture decision as the caller gave them (ELF's record-decision flags).</summary>
public sealed record DecisionFields(
    string? Title, string? Context, string? Options, string? Decision, string? Rationale, string? Domain, string? Files, string? Tests);

/// <summary>One request frame.</summary>
public sealed record WireRequest
{
    public int Version { get; init; } = WireProtocol.Version;
    public string Command { get; init; } = string.Empty;
    public string? RequestId { get; init; }
    public FailureFields? Failure { get; init; }
    /// <summary>record: the learnings type of <see cref="Failure"/>'s fields (default failure).</summary>
    public string? LearningType { get; init; }
    public HeuristicFields? Heuristic { get; init; }
    public DecisionFields? Decision { get; init; }
    /// <summary>record-failure: answer only once the record's commit exists.</summary>
    public bool WaitCommit { get; init; }
    /// <summary>How long the host may take (flush, verify, --wait-commit).</summary>
    public double? TimeoutSeconds { get; init; }
    /// <summary>verify: repair what can be repaired.</summary>
    public bool Repair { get; init; }
    /// <summary>
    /// The sender's ElfActors version (<see cref="ElfVersion"/>). A host of another release refuses every command but
    /// status, stop and ping with <see cref="WireProtocol.Errors.VersionMismatch"/>; absent (a client older than the
    /// handshake), the host serves protocol <see cref="WireProtocol.Version"/> as before.
    /// </summary>
    public string? ClientVersion { get; init; } = ElfVersion.Current;
}

/// <summary>One response frame. <see cref="Status"/> decides the client's exit code.</summary>
public sealed record WireResponse
{
    public int Version { get; init; } = WireProtocol.Version;
    public string Status { get; init; } = WireProtocol.Statuses.Ok;
    /// <summary>For <c>error</c>: which protocol rule the request broke.</summary>
    public string? Error { get; init; }
    public string? Message { get; init; }
    public IReadOnlyList<FieldError>? Errors { get; init; }
    public RecordResult? Record { get; init; }
    public HostStatus? HostStatus { get; init; }
    public FlushResult? Flush { get; init; }
    public VerifyResult? Verify { get; init; }
    public SyncStatus? Sync { get; init; }
    /// <summary>The host's ElfActors version (<see cref="ElfVersion"/>), on every answer; absent from hosts older than the handshake.</summary>
    public string? HostVersion { get; init; }

    public static WireResponse ProtocolError(string error, string message) =>
        new() { Status = WireProtocol.Statuses.Error, Error = error, Message = message };
}

public sealed record FieldError(string Field, string Message);

public sealed record RecordResult(long Id, string Path, string RequestId, bool Duplicate, string? Commit);

public sealed record FlushResult(long Pending, long Committed, double Seconds);

public sealed record HostStatus
{
    public bool Running { get; init; }
    public string BasePath { get; init; } = string.Empty;
    public int? Pid { get; init; }
    public string? Version { get; init; }
    /// <summary>Started by `elf` because no host answered (it exits when idle); false for `elf serve` and a service's host.
    /// Null from a host older than this field.</summary>
    public bool? AutoStarted { get; init; }
    public double UptimeSeconds { get; init; }
    public long Pending { get; init; }
    public long Committed { get; init; }
    /// <summary>Why memory/index.db cannot be read now (removed or replaced under the host, which puts it back or rebuilds
    /// it before its next write); null when it was read. Pending and Committed are 0 then: not known.</summary>
    public string? IndexUnreadable { get; init; }
    public long AcknowledgedSinceStart { get; init; }
    public long CommittedSinceStart { get; init; }
    public string? LastCommitId { get; init; }
    public DateTimeOffset? LastCommitAt { get; init; }
    public string CommitterState { get; init; } = string.Empty;
    public int CommitterStarts { get; init; }
    /// <summary>Seconds since the committer last looked at the outbox; null before its first look, and from a host older than this field.</summary>
    public double? CommitterLookedSecondsAgo { get; init; }
    /// <summary>Set when records are pending and the committer, which looks every sweep while anything is to do, has not
    /// looked for far longer: what stopped waking it is a bug (docs/reliability.md#a-committer-that-waits).</summary>
    public string? CommitterStall { get; init; }
    /// <summary>The git writer of the last commit ("fast" or "git") and, when the host chose git's by itself, why.</summary>
    public string? GitWriter { get; init; }
    /// <summary>Records committed per second over the last minute.</summary>
    public double RecordsPerSecond { get; init; }
    /// <summary>The host's last error (a log entry at Error level), which may need the user: details in `elf logs`.</summary>
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public SyncStatus? Sync { get; init; }
    /// <summary>Cluster mode: the cluster's membership as this node sees it; null in single-node mode and from a host older than this field.</summary>
    public ClusterStatus? Cluster { get; init; }
}

/// <summary>
/// Cluster mode (docs/cluster.md): the members as gossiped to this node. The split-brain resolver counts only the members
/// that are Up in the deciding node's own view, so a cluster is ready for a node to fail once every node reports every
/// node Up, reachable and converged (docs/adr/0067).
/// </summary>
public sealed record ClusterStatus
{
    /// <summary>This node's address (host:port).</summary>
    public string Self { get; init; } = string.Empty;
    /// <summary>The leader in this node's view (host:port); null while there is none.</summary>
    public string? Leader { get; init; }
    /// <summary>Every member has seen this node's latest view and none is unreachable: the view is the cluster's.</summary>
    public bool Converged { get; init; }
    public IReadOnlyList<ClusterMemberStatus> Members { get; init; } = [];
}

/// <summary>One member in a node's view: its address (host:port), its status (Joining, WeaklyUp, Up, Leaving, Exiting,
/// Down, Removed) and whether any member sees it unreachable.</summary>
public sealed record ClusterMemberStatus
{
    public string Address { get; init; } = string.Empty;
    public string Status { get; init; } = string.Empty;
    public bool Reachable { get; init; }
}

/// <summary>Sync through a git remote (docs/sync.md): what it does, how far the branch is from its upstream, how the last round went.</summary>
public sealed record SyncStatus
{
    public string State { get; init; } = string.Empty;
    public string? Upstream { get; init; }
    public int Ahead { get; init; }
    public int Behind { get; init; }
    public DateTimeOffset? LastSyncAt { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public long RejectedPushes { get; init; }
    /// <summary>Set in an answer to `elf sync --now`: how that round ended.</summary>
    public bool? RoundOk { get; init; }
    public string? RoundMessage { get; init; }
}

public sealed record VerifyResult
{
    public bool Consistent { get; init; }
    public int Rows { get; init; }
    public int Files { get; init; }
    public int TrackedFiles { get; init; }
    public long Pending { get; init; }
    public IReadOnlyList<string> RowsWithoutFile { get; init; } = [];
    public IReadOnlyList<string> FilesWithoutRow { get; init; } = [];
    public IReadOnlyList<string> RowsNotInGit { get; init; } = [];
    public IReadOnlyList<string> InGitWithoutRow { get; init; } = [];
    public IReadOnlyList<string> InSeveralCommits { get; init; } = [];
    /// <summary>Acknowledged records whose file (or heuristic entry) the branch's tip does not hold, each line naming its kind.</summary>
    public IReadOnlyList<string> Unreachable { get; init; } = [];
    /// <summary>Records whose file differs from what it was written with (content hash), in the tip or the working tree.</summary>
    public IReadOnlyList<string> Modified { get; init; } = [];
    /// <summary>Records a person deleted with a commit of their own: kept deleted.</summary>
    public IReadOnlyList<string> Deleted { get; init; } = [];
    public IReadOnlyList<string> Repairs { get; init; } = [];
}
