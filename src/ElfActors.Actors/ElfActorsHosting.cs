using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using ElfActors.Core;
using ElfActors.Core.Git;

namespace ElfActors.Actors;

/// <summary>Registry keys for the actors an embedding application talks to.</summary>
public sealed class ElfRecording;
public sealed class ElfCommitter;
public sealed class ElfIndexWriter;
public sealed class ElfSync;

/// <summary>What to run ElfActors on. Everything else comes from HOCON (<c>elf { … }</c>).</summary>
public sealed record ElfActorsOptions
{
    public required MemoryPaths Paths { get; init; }

    /// <summary>Replaced in tests to inject git faults.</summary>
    public GitStoreFactory GitStoreFactory { get; init; } = GitStore.Factory;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>What the actors report about themselves (status, counts, committer state).</summary>
    public ElfMonitor Monitor { get; init; } = new();

    /// <summary>Cluster mode (the committer as a cluster singleton); null, the default, is single-node mode.</summary>
    public ElfClusterOptions? Cluster { get; init; }

    /// <summary>
    /// The caller has run <see cref="ElfActorsHosting.PrepareMemory"/> already and may have recorded since (`elf serve`
    /// records before the actor system is up, docs/adr/0053): the actors' start does not prepare the memory again, whose
    /// repair would race those records' files.
    /// </summary>
    public bool MemoryPrepared { get; init; }

    /// <summary>
    /// The memory's folder as this host opened it (its device and inode, taken on first use: `elf serve` sets it once its
    /// lock is held): a folder deleted, moved away or replaced under the host is never written into, and the host stops
    /// (docs/adr/0074). Copies of these options (<c>with</c>) share it once it is made.
    /// </summary>
    public MemoryFolder Folder
    {
        get => field ??= new MemoryFolder(Paths);
        init;
    }
}

public static class ElfActorsHosting
{
    /// <summary>
    /// Adds ElfActors to an Akka.Hosting set-up: the default HOCON as a fallback, the memory prepared
    /// (repository, index, crash repair), then the index writer, the supervised committer and the recording
    /// coordinator, registered as <see cref="ElfIndexWriter"/>, <see cref="ElfCommitter"/> and <see cref="ElfRecording"/>.
    /// On CoordinatedShutdown every acknowledged record is committed before the actors stop.
    /// </summary>
    public static AkkaConfigurationBuilder WithElfActors(this AkkaConfigurationBuilder builder, ElfActorsOptions options)
    {
        if (options.Cluster is { } cluster) return ElfClusterHosting.WithElfCluster(builder, options, cluster);
        builder.AddHocon(ElfHocon.Default, HoconAddMode.Append);
        builder.WithActors((system, registry) =>
        {
            StartTrace.Mark("actor system started");
            var settings = ElfSettings.From(system.Settings.Config);
            if (!options.MemoryPrepared) PrepareMemory(options, settings, warning => system.Log.Warning("{0}", warning));
            options.Folder.Prepared();
            // Half-written git objects a killed or out-of-space writer left (never a live git's: GitWriteLeftovers).
            var leftovers = GitWriteLeftovers.Clean(Path.Combine(options.Paths.BasePath, ".git"), options.Paths.BasePath, options.Clock.GetUtcNow());
            if (leftovers.Removed.Count + leftovers.Completed.Count + leftovers.Kept.Count > 0)
                system.Log.Warning("Half-written git objects: removed [{0}], completed with git index-pack [{1}], kept (in use) [{2}]",
                    string.Join(", ", leftovers.Removed), string.Join(", ", leftovers.Completed), string.Join(", ", leftovers.Kept));
            StartTrace.Mark("git leftovers");
            var writer = system.ActorOf(IndexWriterActor.Props(options.Paths, settings, options.Clock, options.Folder), "elf-index-writer");
            var committer = system.ActorOf(
                CommitterSupervision.Props(options.Paths, settings, options.GitStoreFactory, writer, options.Monitor, options.Clock, options.Folder),
                "elf-committer");
            var recording = system.ActorOf(
                RecordingCoordinator.Props(options.Paths, settings, writer, committer, options.Monitor, options.Clock), "elf-recording");
            registry.Register<ElfIndexWriter>(writer);
            registry.Register<ElfCommitter>(committer);
            registry.Register<ElfRecording>(recording);
            registry.Register<ElfSync>(system.ActorOf(
                SyncActor.Props(options.Paths, SyncSettings.From(system.Settings.Config), committer, options.Monitor.Sync, options.Clock), "elf-sync"));
            CommitDrain.Register(system, committer, options.Monitor, options.Folder);
            StartTrace.Mark("actors created");
        });
        return builder;
    }

    /// <summary>
    /// What must happen before any record is accepted: a missing or recreated index rebuilt from the files and history,
    /// then the memory prepared (folders, the repository, the index and its migrations, a crash's repair:
    /// <see cref="MemoryBootstrap.Prepare"/>). Throws <see cref="UnsupportedRepositoryException"/> before anything is written
    /// to a repository ElfActors cannot commit to.
    /// </summary>
    /// <param name="repositoryEnsured">The caller has run <see cref="GitStore.EnsureRepository"/> already.</param>
    public static void PrepareMemory(ElfActorsOptions options, ElfSettings settings, Action<string> warn, bool repositoryEnsured = false) =>
        PrepareMemoryAndOpenIndex(options, settings, warn, repositoryEnsured).Dispose();

    /// <summary><see cref="PrepareMemory"/>, handing the caller the index it opened (the caller disposes it).</summary>
    public static Core.Storage.MemoryIndex PrepareMemoryAndOpenIndex(ElfActorsOptions options, ElfSettings settings, Action<string> warn, bool repositoryEnsured = false)
    {
        if (Core.Import.IndexRebuild.IfMissing(options.Paths, settings.Index, options.Clock) is { } rebuilt)
            warn(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"memory/index.db was missing or held no record: rebuilt from the files and git history ({rebuilt.Summary.Learnings} learnings, {rebuilt.Summary.Heuristics} heuristics, {rebuilt.Summary.Decisions} decisions; {rebuilt.Queued} uncommitted files queued){(rebuilt.MovedAside is { } aside ? "; the recreated one is kept as memory/" + aside : "")}"));
        StartTrace.Mark("index rebuild check");
        var (_, index) = MemoryBootstrap.PrepareAndOpen(options.Paths, settings.Index, settings.FsyncFiles, repositoryEnsured: repositoryEnsured);
        StartTrace.Mark("memory prepared");
        return index;
    }
}
