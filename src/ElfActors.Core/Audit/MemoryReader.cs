using ElfActors.Core.Git;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Audit;

/// <summary>
/// Reads a memory the way an outsider would: the database on a fresh read-only connection, history and the
/// working tree through the git executable. Shared by the simulation audit and <c>elf verify</c>.
/// </summary>
internal static class MemoryReader
{
    /// <summary>The folders of learnings files: memory/failures/, and those of success, observation, experiment.</summary>
    public static IReadOnlyList<string> LearningFolders { get; } = Records.LearningTypes.All.Select(Records.LearningTypes.Folder).ToList();

    /// <summary>learnings rows that point into a learnings folder (memory/failures/ …): id, filepath.</summary>
    public static string LearningRowsQuery { get; } = "SELECT id, filepath FROM learnings WHERE "
        + string.Join(" OR ", LearningFolders.Select(f => $"filepath LIKE '{f}%'"));

    /// <summary>learnings rows that point into a learnings folder (memory/failures/ …): id → filepath.</summary>
    public static Dictionary<long, string> FailureRows(MemoryPaths paths)
    {
        using var connection = OutboxQueries.OpenReadOnly(paths);
        using var command = connection.CreateCommand();
        command.CommandText = LearningRowsQuery;
        var rows = new Dictionary<long, string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows[reader.GetInt64(0)] = reader.GetString(1);
        return rows;
    }

    /// <summary>Learnings files on disk (every learnings folder, *.md at its top), as repository-relative paths, enumerated lazily.</summary>
    public static IEnumerable<string> LearningFilesOnDisk(MemoryPaths paths) =>
        LearningFolders.Where(f => Directory.Exists(paths.Absolute(f)))
            .SelectMany(f => Directory.EnumerateFiles(paths.Absolute(f), "*.md").Select(file => f + Path.GetFileName(file)));

    /// <summary>Whether a tracked path is one <c>git ls-tree -- memory/failures</c> (or another learnings folder) lists.</summary>
    public static bool IsInLearningFolder(string path) =>
        LearningFolders.Any(f => path.StartsWith(f, StringComparison.Ordinal) || path == f[..^1]);

    /// <summary>
    /// How many commits on the memory's branch name each learnings record in an Elf-Record trailer, and the records
    /// each commit names: a record key resolves to its row through the outbox; an integer trailer (commits made before
    /// record keys) only to a row stored before record keys, never to a row of a recreated index.
    /// </summary>
    public static (Dictionary<long, int> TrailerCounts, Dictionary<string, HashSet<long>> IdsByCommit) Trailers(MemoryPaths paths)
    {
        var counts = new Dictionary<long, int>();
        var byCommit = new Dictionary<string, HashSet<long>>();
        if (!HasCommits(paths)) return (counts, byCommit);
        var keyed = new Dictionary<string, long>(StringComparer.Ordinal);
        var unkeyed = new HashSet<long>();
        using (var connection = OutboxQueries.OpenReadOnly(paths))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT record_key, row_id FROM elf_outbox WHERE row_table = 'learnings'";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (reader.IsDBNull(0)) unkeyed.Add(reader.GetInt64(1));
                else keyed[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        HashSet<long> ids = [];
        ForEachCommitTrailer(paths, commit => byCommit[commit] = ids = [], key =>
        {
            if (keyed.TryGetValue(key, out var id)) ids.Add(id);
            else if (long.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id) && unkeyed.Contains(id)) ids.Add(id);
        });
        foreach (var named in byCommit.Values)
            foreach (var id in named) counts[id] = counts.GetValueOrDefault(id) + 1;
        return (counts, byCommit);
    }

    /// <summary>
    /// How many commits of the memory's branch removed each of these files. A record committed again after a commit
    /// removed its file (docs/adr/0048) has a trailer in two commits and is not a duplicate.
    /// </summary>
    public static Dictionary<string, int> Removals(MemoryPaths paths, IReadOnlyCollection<string> relativePaths)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (relativePaths.Count == 0 || !HasCommits(paths)) return counts;
        var branch = Branch(paths);
        foreach (var chunk in relativePaths.Distinct(StringComparer.Ordinal).Chunk(200))
        {
            var log = GitCli.Run(paths.BasePath, ["log", "--diff-filter=D", "--name-only", "--no-renames", "-z", "--format=", branch, "--", .. chunk]);
            foreach (var path in log.Split('\0', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                counts[path] = counts.GetValueOrDefault(path) + 1;
        }
        return counts;
    }

    /// <summary>The memory's branch (docs/adr/0018) as the committer keeps it, else HEAD.</summary>
    public static string Branch(MemoryPaths paths)
    {
        try
        {
            using var connection = OutboxQueries.OpenReadOnly(paths);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM elf_state WHERE name = 'branch'";
            if (command.ExecuteScalar() is string branch)
            {
                GitCli.Run(paths.BasePath, ["rev-parse", "--verify", "--quiet", branch]);
                return branch;
            }
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or GitStoreException)
        {
            // no state table yet, or a branch with no commits: HEAD
        }
        return "HEAD";
    }

    /// <summary>
    /// Each commit of the memory's branch, newest first (<paramref name="onCommit"/>, its id), then each key its message's
    /// <c>Elf-Record</c> trailers name (<paramref name="onKey"/>): <c>git log</c> read line by line, so that no commit
    /// message (a batch's names thousands of records) is held whole.
    /// </summary>
    public static void ForEachCommitTrailer(MemoryPaths paths, Action<string> onCommit, Action<string> onKey)
    {
        if (!HasCommits(paths)) return;
        GitCli.RunStreamed(paths.BasePath, ["log", "--format=%x1e%H%x00%B", Branch(paths)], '\n', line =>
        {
            if (line.StartsWith('\x1e') && line.IndexOf('\0') is var separator and > 0)
            {
                onCommit(line[1..separator].Trim());
                line = line[(separator + 1)..];
            }
            if (CommitMessage.TrailerOf(line) is { } trailer) onKey(trailer.Key);
        });
    }

    /// <summary>Each entry under memory/ in the tip of the memory's branch: path, type (blob, or commit for a submodule) and id, streamed.</summary>
    public static void ForEachTipEntry(MemoryPaths paths, Action<string, string, string> onEntry)
    {
        if (!HasCommits(paths)) return;
        // "<mode> <type> <id>\t<path>", NUL-terminated
        GitCli.RunStreamed(paths.BasePath, ["ls-tree", "-r", "-z", Branch(paths), "--", "memory"], '\0', line =>
        {
            var tab = line.IndexOf('\t');
            if (tab < 0) return;
            var fields = line[..tab].Split(' ');
            if (fields.Length == 3) onEntry(line[(tab + 1)..], fields[1], fields[2]);
        });
    }

    /// <summary>Files in the branch's tip under a folder.</summary>
    public static HashSet<string> TrackedFiles(MemoryPaths paths, string folder = "memory") =>
        HasCommits(paths)
            ? GitCli.Run(paths.BasePath, ["ls-tree", "-r", "--name-only", "-z", Branch(paths), "--", folder])
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
