using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace ElfActors.Actors;

/// <summary>
/// The index writer's mailbox: the committer's "these are in git" marks go ahead of queued inserts (in order
/// among themselves, as everything else is). Behind a burst of thousands of inserts a mark would otherwise wait
/// seconds, and with it every <c>elf flush</c> that waits for the outbox to empty.
/// </summary>
public sealed class IndexWriterMailbox(Settings settings, Config config) : UnboundedStablePriorityMailbox(settings, config)
{
    protected override int PriorityGenerator(object message) => message is IndexWriterProtocol.MarkCommitted ? 0 : 1;
}
