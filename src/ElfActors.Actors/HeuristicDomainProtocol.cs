using Akka.Actor;
using ElfActors.Core.Records;

namespace ElfActors.Actors;

public static class HeuristicDomainProtocol
{
    /// <summary>A validated heuristic for this domain's file; the actor answers <paramref name="ReplyTo"/> with a RecordReply.</summary>
    public sealed record AppendHeuristic(string RequestId, ValidatedHeuristic Heuristic, IActorRef ReplyTo, long StartedAt);

    internal sealed record IndexReplyTimedOut(int Batch);
}
