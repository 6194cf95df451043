using Akka.Actor;
using ElfActors.Contracts.Wire;

namespace ElfActors.Host.Pipe;

/// <summary>
/// `elf status` of a cluster node (docs/cluster.md): Akka.Cluster's membership as gossiped to this node. Kept apart from
/// <see cref="RequestHandler"/> and called in cluster mode only, so that a single-node host never loads Akka.Cluster.
/// </summary>
internal static class ClusterStatusReader
{
    public static ClusterStatus Read(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members
            .Select(m => new ClusterMemberStatus { Address = HostPort(m.Address), Status = m.Status.ToString(), Reachable = !unreachable.Contains(m.Address) })
            .ToList();
        return new ClusterStatus
        {
            Self = HostPort(cluster.SelfAddress),
            Leader = state.Leader is { } leader ? HostPort(leader) : null,
            // Akka's convergence: no member unreachable and every member has seen this view.
            Converged = unreachable.Count == 0 && state.Members.All(m => state.SeenBy.Contains(m.Address)),
            Members = members,
        };
    }

    private static string HostPort(Address address) => $"{address.Host}:{address.Port}";
}
