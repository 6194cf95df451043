using ElfActors.Core.Git;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Audit;

/// <summary>
/// Reads a memory the way an outsider would: the database on a fresh read-only connection, history and the
/// working tree through the git executable. Shared by the simulation audit and <c>elf verify</c>.
/// </summary>
internal static class MemoryReader
{
    public const string FailuresPrefix = "memory/failures/";

    /// <summary>The folders of learnings files: memory/failures/, and those of success, observation, experiment.</summary>
    public static IReadOnlyList<string> LearningFolders { get; } = Records.LearningTypes.All.Select(Records.LearningTypes.Folder).ToList();

    /// <summary>learnings rows that point into a learnings folder (memory/failures/ …): id → filepath.</summary>
    public static Dictionary<long, string> FailureRows(MemoryPaths paths)
    {
        using var connection = OutboxQueries.OpenReadOnly(paths);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, filepath FROM learnings WHERE "
            + string.Join(" OR ", LearningFolders.Select(f => $"filepath LIKE '{f}%'"));
        var rows = new Dictionary<long, string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows[reader.GetInt64(0)] = reader.GetString(1);
        return rows;
    }

    /// <summary>Learnings files on disk (every learnings folder), as repository-relative paths (temp files excluded).</summary>
    public static HashSet<string> FailureFiles(MemoryPaths paths) =>
        LearningFolders.Where(f => Directory.Exists(paths.Absolute(f)))
            .SelectMany(f => Directory.EnumerateFiles(paths.Absolute(f), "*.md").Select(file => f + Path.GetFileName(file)))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Learnings files at the branch's tip, every learnings folder.</summary>
    public static HashSet<string> TrackedLearningFiles(MemoryPaths paths) =>
        LearningFolders.SelectMany(f => TrackedFiles(paths, f.TrimEnd('/'))).ToHashSet(StringComparer.Ordinal);

    /// <summary>How many commits name each record id in an Elf-Record trailer, and the ids each commit names.</summary>
    public static (Dictionary<long, int> TrailerCounts, Dictionary<string, HashSet<long>> IdsByCommit) Trailers(MemoryPaths paths)
    {
        var counts = new Dictionary<long, int>();
        var byCommit = new Dictionary<string, HashSet<long>>();
        if (!HasCommits(paths)) return (counts, byCommit);
        var log = GitCli.Run(paths.BasePath, ["log", "--format=%H%x00%B%x1e"]);
        foreach (var entry in log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = entry.IndexOf('\0');
            if (separator < 0) continue;
            var ids = CommitMessage.RecordIds(entry[(separator + 1)..]).ToHashSet();
            byCommit[entry[..separator].Trim()] = ids;
            foreach (var id in ids) counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        return (counts, byCommit);
    }

    /// <summary>Files in the branch's tip under a folder.</summary>
    public static HashSet<string> TrackedFiles(MemoryPaths paths, string folder = "memory") =>
        HasCommits(paths)
            ? GitCli.Run(paths.BasePath, ["ls-tree", "-r", "--name-only", "-z", "HEAD", "--", folder])
                .Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : [];

    public static IReadOnlyList<string> WorkingTreeChanges(MemoryPaths paths) =>
        GitCli.Run(paths.BasePath, ["status", "--porcelain", "--untracked-files=all"])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static bool HasCommits(MemoryPaths paths)
    {
        try
        {
            GitCli.Run(paths.BasePath, ["rev-parse", "--verify", "--quiet", "HEAD"]);
            return true;
        }
        catch (GitStoreException)
        {
            return false;
        }
    }
}
