using ElfActors.Core.Records;

namespace ElfActors.Actors;

/// <summary>What callers (the pipe server, the simulator, an embedding orchestrator) send and receive.</summary>
public static class RecordingProtocol
{
    /// <summary>
    /// Record a record of any kind (<see cref="IRecordInput.Kind"/>: a learning, a heuristic, a decision …): its ELF
    /// row and its file, or its entry in a shared file. A retry with the same <paramref name="RequestId"/> returns the first record.
    /// </summary>
    public sealed record RecordRequest(string RequestId, IRecordInput Input);

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
