namespace ElfActors.Tests.Support;

/// <summary>One commit as `git log` tells it; its <c>Elf-Record</c> trailers resolved to ELF row ids.</summary>
public sealed record LoggedCommit(string Sha, string Message, IReadOnlyList<string> AddedFiles, IReadOnlyList<long> RecordTrailers, IReadOnlyList<long> HeuristicTrailers)
{
    /// <summary>The files this commit removed (relative to its first parent).</summary>
    public IReadOnlyList<string> DeletedFiles { get; init; } = [];
}

/// <summary>Reads history with the git executable, independently of LibGit2Sharp.</summary>
public static class GitHistory
{
    public static IReadOnlyList<LoggedCommit> Log(string repository, string revision = "HEAD")
    {
        // Every commit, with the status of each file it changed. (A --diff-filter would hide commits that add
        // nothing, such as a duplicate re-commit of files already in the tree.)
        var (code, stdout, _) = Tools.Run("git", repository, "log", "--format=%x1e%H%x1f%B%x1f", "--name-status", "--no-renames", revision);
        if (code != 0) return []; // no commits yet
        var keys = RecordKeys(repository);
        var commits = new List<LoggedCommit>();
        foreach (var entry in stdout.Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('\u001f');
            List<string> Changed(string status) => parts.Length > 2
                ? parts[2].Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Where(line => line.StartsWith(status + "\t", StringComparison.Ordinal))
                    .Select(line => line[2..].Trim()).ToList()
                : [];
            var added = Changed("A");
            var learnings = new List<long>();
            var heuristics = new List<long>();
            foreach (var trailer in Trailers(parts[1]))
            {
                if (keys.TryGetValue(trailer, out var row))
                {
                    if (row.Table == "learnings") learnings.Add(row.Id);
                    else if (row.Table == "heuristics") heuristics.Add(row.Id);
                }
                else if (long.TryParse(trailer, out var id)) learnings.Add(id);
                else if (trailer.StartsWith("H-", StringComparison.Ordinal) && long.TryParse(trailer[2..], out id)) heuristics.Add(id);
                else if (!trailer.StartsWith("ADR-", StringComparison.Ordinal)) learnings.Add(-1); // a key no row has
            }
            commits.Add(new LoggedCommit(parts[0].Trim(), parts[1], added, learnings, heuristics) { DeletedFiles = Changed("D") });
        }
        return commits;
    }

    /// <summary>The first word of each <c>Elf-Record:</c> line: a record key, or an integer id in older commits.</summary>
    public static IEnumerable<string> Trailers(string message) => message.Split('\n')
        .Where(l => l.StartsWith("Elf-Record: ", StringComparison.Ordinal))
        .Select(l => l["Elf-Record: ".Length..].Trim().Split(' ')[0]);

    /// <summary>Record key → (table, row id), read with sqlite3 from the memory's index (empty without one).</summary>
    public static IReadOnlyDictionary<string, (string Table, long Id)> RecordKeys(string repository)
    {
        var database = Path.Combine(repository, "memory", "index.db");
        if (!File.Exists(database)) return new Dictionary<string, (string, long)>();
        var hasKeys = Tools.SqliteScalar(database, "SELECT COUNT(*) FROM pragma_table_info('elf_outbox') WHERE name = 'record_key'") == 1;
        if (!hasKeys) return new Dictionary<string, (string, long)>();
        return Tools.Sqlite(database, "SELECT record_key, row_table, row_id FROM elf_outbox WHERE record_key IS NOT NULL")
            .ToDictionary(r => r[0], r => (r[1], long.Parse(r[2])));
    }

    public static IReadOnlyList<string> Status(string repository) =>
        Tools.Git(repository, "status", "--porcelain", "--untracked-files=all")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static IReadOnlySet<string> TrackedFiles(string repository) =>
        Tools.Git(repository, "ls-files", "-z").Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
}
