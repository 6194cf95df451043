using System.Globalization;
using ElfActors.Core.Git;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Audit;

/// <summary>A record the caller was told was stored: what the audit checks for.</summary>
public sealed record AcknowledgedRecord(long RecordId, string RelativePath);

/// <summary>What the database, the folder and git history say about a set of acknowledged records.</summary>
public sealed record AuditReport(
    int Acknowledged,
    int Rows,
    int Files,
    int InExactlyOneCommit,
    int InNoCommit,
    int InSeveralCommits,
    int Commits,
    IReadOnlyList<string> WorkingTreeChanges)
{
    public bool StateConsistent => Rows == Acknowledged && Files == Acknowledged;
    public bool GitConsistent => InExactlyOneCommit == Acknowledged;
    public bool WorkingTreeClean => WorkingTreeChanges.Count == 0;
}

/// <summary>
/// Checks records against the memory itself — a fresh read-only SQLite connection, the files on disk and
/// <c>git log</c> / <c>git status</c> from the git executable — never against the actors' own bookkeeping.
/// </summary>
public static class MemoryAudit
{
    public static AuditReport Run(MemoryPaths paths, IReadOnlyCollection<AcknowledgedRecord> records)
    {
        var rows = ReadFailureRows(paths);
        var rowCount = records.Count(r => rows.TryGetValue(r.RecordId, out var filepath) && filepath == r.RelativePath);
        var fileCount = records.Count(r => File.Exists(paths.Absolute(r.RelativePath)));

        var (trailers, commitsById) = ReadTrailers(paths);
        var tracked = TrackedFiles(paths);
        var ids = records.Select(r => r.RecordId).ToHashSet();
        var once = records.Count(r => trailers.GetValueOrDefault(r.RecordId) == 1 && tracked.Contains(r.RelativePath));
        var none = records.Count(r => !trailers.ContainsKey(r.RecordId));
        var several = records.Count(r => trailers.GetValueOrDefault(r.RecordId) > 1);
        var commits = commitsById.Where(c => c.Value.Overlaps(ids)).Count();

        var status = GitCli.Run(paths.BasePath, ["status", "--porcelain", "--untracked-files=all"])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new AuditReport(records.Count, rowCount, fileCount, once, none, several, commits, status);
    }

    private static Dictionary<long, string> ReadFailureRows(MemoryPaths paths)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = paths.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, filepath FROM learnings WHERE type = 'failure'";
        var rows = new Dictionary<long, string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows[reader.GetInt64(0)] = reader.GetString(1);
        return rows;
    }

    private static (Dictionary<long, int> TrailerCounts, Dictionary<string, HashSet<long>> IdsByCommit) ReadTrailers(MemoryPaths paths)
    {
        var counts = new Dictionary<long, int>();
        var byCommit = new Dictionary<string, HashSet<long>>();
        string log;
        try
        {
            log = GitCli.Run(paths.BasePath, ["log", "--format=%H%x00%B%x1e"]);
        }
        catch (GitStoreException e) when (e.Message.Contains("does not have any commits", StringComparison.Ordinal))
        {
            return (counts, byCommit);
        }
        foreach (var entry in log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = entry.IndexOf('\0');
            if (separator < 0) continue;
            var sha = entry[..separator].Trim();
            var ids = CommitMessage.RecordIds(entry[(separator + 1)..]).ToHashSet();
            byCommit[sha] = ids;
            foreach (var id in ids) counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        return (counts, byCommit);
    }

    private static HashSet<string> TrackedFiles(MemoryPaths paths)
    {
        try
        {
            return GitCli.Run(paths.BasePath, ["ls-tree", "-r", "--name-only", "-z", "HEAD", "--", "memory"])
                .Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        }
        catch (GitStoreException)
        {
            return []; // no commit yet
        }
    }

    public static string Percent(int part, int whole) =>
        whole == 0 ? "n/a" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
