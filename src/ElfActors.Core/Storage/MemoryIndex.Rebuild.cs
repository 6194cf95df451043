namespace ElfActors.Core.Storage;

/// <summary>What rebuilding a missing index needs beyond <see cref="RebuildRows"/> (IndexRebuild).</summary>
public sealed partial class MemoryIndex
{
    /// <summary>Whether the index holds any record (a learnings, heuristics or decisions row, or an outbox entry), and any outbox entry.</summary>
    public static (bool Records, bool Outbox) Holds(string databasePath)
    {
        // The caller holds the host lock: a hot journal a killed host left (its first WAL switch) is rolled back here.
        using var connection = ReadOnlyIndex.Open(databasePath, TimeSpan.FromSeconds(30));
        var records = false;
        foreach (var table in new[] { "elf_outbox", OutboxTables.Learnings, OutboxTables.Heuristics, OutboxTables.Decisions })
        {
            using var exists = connection.CreateCommand();
            exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
            exists.Parameters.AddWithValue("$name", table);
            if (Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0) continue;
            using var any = connection.CreateCommand();
            any.CommandText = $"SELECT EXISTS (SELECT 1 FROM \"{table}\")";
            if (Convert.ToInt64(any.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0) continue;
            if (table == "elf_outbox") return (true, true);
            records = true;
        }
        return (records, false);
    }
}
