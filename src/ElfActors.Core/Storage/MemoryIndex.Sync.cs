namespace ElfActors.Core.Storage;

/// <summary>What sync's index follower needs (docs/sync.md): which files have a row here, and the record keys other machines gave them.</summary>
public sealed partial class MemoryIndex
{
    /// <summary>Of these files, those some outbox entry here already names.</summary>
    public IReadOnlySet<string> KnownPaths(IReadOnlyCollection<string> relativePaths)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        using var transaction = _connection.BeginTransaction(deferred: true);
        using var query = Command(transaction, "SELECT 1 FROM elf_outbox WHERE relpath = $p LIMIT 1", "$p");
        foreach (var path in relativePaths)
        {
            query.Parameters["$p"].Value = path;
            if (query.ExecuteScalar() is not null) known.Add(path);
        }
        transaction.Commit();
        return known;
    }

    /// <summary>
    /// Gives rows imported from another machine's commits the record key that machine gave them (its trailer's), so that
    /// a record has one key everywhere; a key already used here is left alone (the row keeps its own).
    /// </summary>
    public int AdoptRecordKeys(IReadOnlyDictionary<long, string> keyByOutboxId)
    {
        var adopted = 0;
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var update = Command(transaction,
            "UPDATE elf_outbox SET record_key = $k WHERE id = $id AND NOT EXISTS (SELECT 1 FROM elf_outbox WHERE record_key = $k)", "$k", "$id");
        foreach (var (outboxId, key) in keyByOutboxId)
        {
            update.Parameters["$k"].Value = key;
            update.Parameters["$id"].Value = outboxId;
            adopted += update.ExecuteNonQuery();
        }
        transaction.Commit();
        return adopted;
    }
}
