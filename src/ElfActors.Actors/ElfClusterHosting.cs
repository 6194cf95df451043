using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Hosting;
using ElfActors.Core;

namespace ElfActors.Actors;

/// <summary>
/// Cluster mode (docs/adr/0008): this process is one node of an Akka.Cluster whose nodes share one memory.
/// Null <see cref="ElfActorsOptions.Cluster"/> means single-node mode, the default, which needs none of this.
/// </summary>
public sealed record ElfClusterOptions
{
    /// <summary>The address other nodes reach this one at.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>This node's Akka.Remote TCP port; it also names the node's pipe and lock (<c>ELF_NODE</c>).</summary>
    public required int Port { get; init; }

    /// <summary>host:port of seed nodes, or full akka.tcp:// addresses. A node that lists itself first may start the cluster.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>Cluster roles of this node.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>The actor system's name (every node's must be the same); host:port seed nodes are completed with it.</summary>
    public string SystemName { get; init; } = "elf";

    /// <summary>Only nodes with this role may hold the committer (they must reach the memory); null: any node.</summary>
    public string? CommitterRole { get; init; }
}

internal static class ElfClusterHosting
{
    /// <summary>The singleton manager's name under /user on every node; the proxy finds the committer through it.</summary>
    public const string ManagerName = "elf-committer";

    public static AkkaConfigurationBuilder WithElfCluster(AkkaConfigurationBuilder builder, ElfActorsOptions options, ElfClusterOptions cluster)
    {
        // This node's address wins over everything; hocon/cluster.hocon and hocon/elf.hocon are the fallbacks.
        builder.AddHocon(NodeHocon(cluster.SystemName, cluster), HoconAddMode.Prepend);
        builder.AddHocon(ElfHocon.Cluster, HoconAddMode.Append);
        builder.AddHocon(ElfHocon.Default, HoconAddMode.Append);
        builder.WithActors((system, registry) =>
        {
            var settings = ElfSettings.From(system.Settings.Config);
            // Folders, repository and index only: a recorder on another node may be between its row and its
            // rename, so files are not restored here. The committer restores orphans after orphan-grace.
            MemoryBootstrap.Prepare(options.Paths, settings.Index, settings.FsyncFiles, repair: false);
            // Every node has its own index writer: SQLite serialises writers across processes (BEGIN IMMEDIATE,
            // busy-timeout), and request-id and file-name uniqueness are decided inside that transaction.
            var writer = system.ActorOf(IndexWriterActor.Props(options.Paths, settings, options.Clock), "elf-index-writer");

            var managerSettings = ClusterSingletonManagerSettings.Create(system);
            var proxySettings = ClusterSingletonProxySettings.Create(system);
            if (cluster.CommitterRole is { } role)
            {
                managerSettings = managerSettings.WithRole(role);
                proxySettings = proxySettings.WithRole(role);
            }
            // The committer runs once in the cluster, on the oldest node (with the role). PoisonPill hands it
            // over after the batch in progress: whatever is left is in the outbox for its successor.
            system.ActorOf(ClusterSingletonManager.Props(
                CommitterSupervision.Props(options.Paths, settings, options.GitStoreFactory, writer, options.Monitor, options.Clock),
                PoisonPill.Instance, managerSettings), ManagerName);
            var committer = system.ActorOf(ClusterSingletonProxy.Props("/user/" + ManagerName, proxySettings), "elf-committer-proxy");

            var recording = system.ActorOf(
                RecordingCoordinator.Props(options.Paths, settings, writer, committer, options.Monitor, options.Clock), "elf-recording");
            registry.Register<ElfIndexWriter>(writer);
            registry.Register<ElfCommitter>(committer);
            registry.Register<ElfRecording>(recording);
            // A node that stops waits until the cluster's committer has committed everything, wherever it runs.
            CommitDrain.Register(system, committer, options.Monitor);
        });
        return builder;
    }

    private static string NodeHocon(string systemName, ElfClusterOptions cluster)
    {
        var seeds = cluster.SeedNodes.Select(s => s.Contains("://", StringComparison.Ordinal) ? s : $"akka.tcp://{systemName}@{s}");
        var hocon = new StringBuilder();
        hocon.AppendLine(CultureInfo.InvariantCulture, $"akka.remote.dot-netty.tcp.hostname = {Quote(cluster.Hostname)}");
        hocon.AppendLine(CultureInfo.InvariantCulture, $"akka.remote.dot-netty.tcp.port = {cluster.Port}");
        hocon.AppendLine(CultureInfo.InvariantCulture, $"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(Quote))}]");
        hocon.AppendLine(CultureInfo.InvariantCulture, $"akka.cluster.roles = [{string.Join(", ", cluster.Roles.Select(Quote))}]");
        return hocon.ToString();
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
