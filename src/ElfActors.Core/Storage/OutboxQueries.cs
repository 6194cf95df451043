using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>What the outbox says, read on a short-lived read-only connection (never blocks the writers).</summary>
public sealed record OutboxCounts(long Pending, long Committed, string? LastCommitId, DateTimeOffset? LastCommitAt);

public static class OutboxQueries
{
    public static OutboxCounts Counts(MemoryPaths paths)
    {
        using var connection = OpenReadOnly(paths);
        using var counts = connection.CreateCommand();
        // Pending entries through their partial index; all of them through the smallest index SQLite has (not the
        // table, whose rows hold every record's text): a million-record memory answers in a fraction of a second.
        counts.CommandText = """
            SELECT (SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL), (SELECT COUNT(*) FROM elf_outbox)
            """;
        long pending, committed;
        using (var reader = counts.ExecuteReader())
        {
            reader.Read();
            pending = reader.GetInt64(0);
            committed = reader.GetInt64(1) - pending;
        }
        using var last = connection.CreateCommand();
        last.CommandText = "SELECT commit_id, committed_at FROM elf_outbox WHERE commit_id IS NOT NULL ORDER BY committed_at DESC LIMIT 1";
        using var lastReader = last.ExecuteReader();
        return lastReader.Read()
            ? new OutboxCounts(pending, committed, lastReader.GetString(0), DateTimeOffset.Parse(lastReader.GetString(1), CultureInfo.InvariantCulture))
            : new OutboxCounts(pending, committed, null, null);
    }

    /// <summary>The commit that holds a record, or null while it waits.</summary>
    public static string? CommitOf(MemoryPaths paths, long recordId)
    {
        using var connection = OpenReadOnly(paths);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT commit_id FROM elf_outbox WHERE row_table = 'learnings' AND row_id = $id";
        command.Parameters.AddWithValue("$id", recordId);
        return command.ExecuteScalar() as string;
    }

    /// <summary>Files of records still waiting for a commit.</summary>
    public static HashSet<string> PendingPaths(MemoryPaths paths)
    {
        using var connection = OpenReadOnly(paths);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT relpath FROM elf_outbox WHERE commit_id IS NULL";
        var result = new HashSet<string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
    }

    internal static SqliteConnection OpenReadOnly(MemoryPaths paths) => ReadOnlyIndex.Open(paths.DatabasePath, TimeSpan.FromSeconds(10));
}
