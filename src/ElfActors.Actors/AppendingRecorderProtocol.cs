using Akka.Actor;
using ElfActors.Core.Records;

namespace ElfActors.Actors;

public static class AppendingRecorderProtocol
{
    /// <summary>A validated record whose entry goes to this actor's file; the actor answers <paramref name="ReplyTo"/> with a RecordReply.</summary>
    public sealed record AppendRecord(string RequestId, RecordDraft Draft, IActorRef ReplyTo, long StartedAt);

    internal sealed record IndexReplyTimedOut(int Batch);
}
