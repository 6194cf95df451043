namespace ElfActors.Contracts;

/// <summary>
/// Where an ELF memory lives. The git repository is the base folder; the index and the records
/// sit under <c>memory/</c> exactly as ELF lays them out.
/// </summary>
public sealed record MemoryPaths
{
    public const string BaseEnvironmentVariable = "ELF_BASE_PATH";

    public MemoryPaths(string basePath)
    {
        if (string.IsNullOrWhiteSpace(basePath))
            throw new ArgumentException("The base folder must not be empty.", nameof(basePath));
        BasePath = Resolved(Path.TrimEndingDirectorySeparator(Path.GetFullPath(basePath)), depth: 0);
    }

    /// <summary>
    /// The base folder with every symbolic link on its way resolved, once, here (what <c>realpath</c> gives; a part
    /// that does not exist yet is kept as given): <c>~/.claude</c> is often a link into a dotfiles repository, and
    /// whichever spelling a client uses, the host's identity, its runtime files, its lock and git's paths
    /// (<c>git rev-parse --show-toplevel</c> answers the resolved one) are the same.
    /// </summary>
    public string BasePath { get; }
    public string MemoryDirectory => Path.Combine(BasePath, "memory");
    public string FailuresDirectory => Path.Combine(MemoryDirectory, "failures");
    public string HeuristicsDirectory => Path.Combine(MemoryDirectory, "heuristics");
    public string DecisionsDirectory => Path.Combine(MemoryDirectory, "decisions");
    public string DatabasePath => Path.Combine(MemoryDirectory, "index.db");

    /// <summary>ElfActors' own working folder (locks, sockets); never committed.</summary>
    public string StateDirectory => Path.Combine(MemoryDirectory, ".elf");

    /// <summary>
    /// Why this memory must not be written, or null. Like ELF's scripts, ElfActors refuses to write through a symbolic
    /// link at memory/ or a record folder (memory/failures/ …): a link there could send records anywhere. The base
    /// folder may be reached through links, as ELF's scripts allow; <see cref="BasePath"/> has them resolved.
    /// </summary>
    public string? RefusalReason()
    {
        foreach (var path in new[] { MemoryDirectory, FailuresDirectory, HeuristicsDirectory, DecisionsDirectory, StateDirectory })
        {
            var info = new DirectoryInfo(path);
            if (info.Exists && info.LinkTarget is { } target)
                return $"{path} is a symbolic link (to {target}); ElfActors does not write through symbolic links";
            if (!info.Exists && File.Exists(path))
                return $"{path} is a file, not a folder";
        }
        return null;
    }

    private const int MaxLinks = 40; // Linux's limit on links followed in one path (ELOOP)

    private static string Resolved(string fullPath, int depth)
    {
        var root = Path.GetPathRoot(fullPath) ?? string.Empty;
        var current = root;
        foreach (var part in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var info = new DirectoryInfo(next);
            if (info.LinkTarget is not null && depth < MaxLinks && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                next = Resolved(Path.TrimEndingDirectorySeparator(target.FullName), depth + 1); // its target's own folders may be links
            current = next;
        }
        return current;
    }

    /// <summary>Absolute path of a repository-relative path such as <c>memory/failures/x.md</c>.</summary>
    public string Absolute(string relativePath) =>
        Path.Combine(BasePath, relativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>
    /// The cluster node whose host this process serves or talks to (its cluster port), null in single-node mode: it
    /// names that host's pipe, lock, pid file and log (<see cref="HostAddress"/>). A client takes it from $ELF_NODE
    /// (<see cref="Resolve"/>); `elf serve --cluster-port` sets it to its own port.
    /// </summary>
    public string? Node { get; init; }

    /// <summary>
    /// ELF's resolution order: an explicit folder, then ELF_BASE_PATH, then ~/.claude/emergent-learning; the cluster
    /// node from ELF_NODE.
    /// </summary>
    public static MemoryPaths Resolve(string? explicitBase, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var basePath = !string.IsNullOrWhiteSpace(explicitBase) ? explicitBase
            : environment(BaseEnvironmentVariable) is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".claude", "emergent-learning");
        return new MemoryPaths(basePath) { Node = HostAddress.NormaliseNode(environment(HostAddress.NodeVariable)) };
    }
}
