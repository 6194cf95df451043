namespace ElfActors.Core.Storage;

/// <summary>An acknowledged record that a commit once held: what the committer checks against the branch's tip.</summary>
/// <param name="SharesFile">A heuristic: its entry shares its domain's file with others.</param>
/// <param name="Content">The entry's text for a heuristic; empty for every other kind (read with <see cref="MemoryIndex.ReadContent"/>).</param>
/// <remarks>What the check needs and no more: one is read for every record the memory holds, at start and whenever
/// history moved (docs/adr/0040), one at a time (docs/adr/0052).</remarks>
public sealed record CommittedEntry(long OutboxId, bool SharesFile, string RelativePath, string Content);

/// <summary>Reachability bookkeeping (docs/adr/0018): records history lost are queued again; a person's deliberate deletion is kept.</summary>
public sealed partial class MemoryIndex
{
    /// <summary>
    /// Every record marked committed whose file no person deliberately deleted, read one at a time in the order of
    /// their paths' UTF-8 bytes (SQLite's BINARY collation, the index on relpath): a caller merges them with a tree walked
    /// in the same order (<see cref="Git.IGitStore.FilesInPathOrder"/>) and holds neither list (docs/adr/0052). The
    /// connection runs no other statement until the enumeration ends.
    /// </summary>
    public IEnumerable<CommittedEntry> ReadCommittedInPathOrder()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT id, kind = $heuristic, relpath, CASE WHEN kind = $heuristic THEN content ELSE '' END
            FROM elf_outbox WHERE commit_id IS NOT NULL AND deleted_by IS NULL ORDER BY relpath, id
            """;
        command.Parameters.AddWithValue("$heuristic", OutboxKinds.Heuristic);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var content = reader.GetString(3);
            yield return new CommittedEntry(reader.GetInt64(0), reader.GetBoolean(1), reader.GetString(2), content.Length == 0 ? string.Empty : content);
        }
    }

    /// <summary>An outbox entry's content (what its file was written with), or null.</summary>
    public string? ReadContent(long outboxId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT content FROM elf_outbox WHERE id = $id";
        command.Parameters.AddWithValue("$id", outboxId);
        return command.ExecuteScalar() as string;
    }

    /// <summary>Queues committed records again: history no longer holds them.</summary>
    public void Reopen(IReadOnlyCollection<long> outboxIds) =>
        UpdateEach(outboxIds, "UPDATE elf_outbox SET commit_id = NULL, committed_at = NULL WHERE id = $id", null);

    /// <summary>Records that a person deleted these records' files with a commit of their own: reported, not committed again.</summary>
    public void MarkDeleted(IReadOnlyCollection<long> outboxIds, string commitId) =>
        UpdateEach(outboxIds, "UPDATE elf_outbox SET deleted_by = $value WHERE id = $id", commitId);

    /// <summary>A value of the committer's state (elf_state), or null.</summary>
    public string? ReadState(string name)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM elf_state WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as string;
    }

    public void WriteState(string name, string value)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT INTO elf_state(name, value) VALUES ($name, $value) ON CONFLICT(name) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private void UpdateEach(IReadOnlyCollection<long> outboxIds, string sql, string? value)
    {
        if (outboxIds.Count == 0) return;
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var update = Command(transaction, sql, "$id", "$value");
        update.Parameters["$value"].Value = (object?)value ?? DBNull.Value;
        foreach (var id in outboxIds)
        {
            update.Parameters["$id"].Value = id;
            update.ExecuteNonQuery();
        }
        transaction.Commit();
    }
}
