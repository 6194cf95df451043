using ElfActors.Core.Records;

namespace ElfActors.Actors;

/// <summary>What callers (the pipe server, the simulator, an embedding orchestrator) send and receive.</summary>
public static class RecordingProtocol
{
    /// <summary>Record a failure. A retry with the same <paramref name="RequestId"/> returns the first record.</summary>
    public sealed record RecordFailure(string RequestId, FailureInput Input);

    /// <summary>Record a heuristic: a heuristics row, an entry appended to memory/heuristics/&lt;domain&gt;.md.</summary>
    public sealed record RecordHeuristic(string RequestId, HeuristicInput Input);

    /// <summary>Record an architecture decision: a decisions row and memory/decisions/YYYY-MM-DD-&lt;slug&gt;.md.</summary>
    public sealed record RecordDecision(string RequestId, DecisionInput Input);

    public abstract record RecordReply;

    /// <summary>The record is durable (row, outbox entry and file in place) and queued for a git commit.</summary>
    public sealed record Recorded(long RecordId, string RelativePath, bool Duplicate) : RecordReply;

    /// <summary>The input was refused; nothing was written.</summary>
    public sealed record Rejected(IReadOnlyList<ValidationError> Errors) : RecordReply
    {
        public string Message => string.Join("; ", Errors);
    }

    /// <summary>The environment failed (disk, database, timeout); nothing was acknowledged.</summary>
    public sealed record Failed(string Reason) : RecordReply;
}
