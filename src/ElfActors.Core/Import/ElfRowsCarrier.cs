using ElfActors.Core.Records;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Import;

/// <summary>
/// What <c>elf reindex</c> cannot rebuild from files and must carry over from the database it moved aside
/// (docs/adr/0021): every table ElfActors does not own (ELF's hooks' <c>trails</c>, <c>metrics</c>,
/// <c>workflow_runs</c>, …, and tables of a newer ELF, with their indexes and triggers), every learnings row ELF's
/// hooks wrote without a file (<c>auto-failures/…</c>), every heuristic with no entry in a domain file (ELF's
/// <c>source_type='auto'</c>), and the counters ELF's hooks keep on heuristics (<c>times_validated</c>, …).
/// </summary>
public static class ElfRowsCarrier
{
    /// <summary>Tables whose rows reindex rebuilds from the files (and ElfActors' own, rebuilt empty).</summary>
    private static readonly HashSet<string> Rebuilt = new(StringComparer.OrdinalIgnoreCase)
    {
        Storage.OutboxTables.Learnings, Storage.OutboxTables.Heuristics, Storage.OutboxTables.Decisions,
    };

    public static bool IsRebuiltOrOwn(string table) =>
        Rebuilt.Contains(table) || table.StartsWith("elf_", StringComparison.OrdinalIgnoreCase) || table.StartsWith("sqlite_", StringComparison.OrdinalIgnoreCase);

    /// <summary>Copies into <paramref name="database"/> what only <paramref name="previous"/> has; returns notes, one per kind.</summary>
    public static IReadOnlyList<string> Carry(string database, string previous)
    {
        var notes = new List<string>();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, null, "ATTACH DATABASE $old AS old", ("$old", previous));
        using var transaction = connection.BeginTransaction(deferred: false);
        var newTables = Names(connection, transaction, "main", "table");
        foreach (var table in Names(connection, transaction, "old", "table").Where(t => !IsRebuiltOrOwn(t)))
        {
            if (!newTables.Contains(table))
            {
                // A table of a newer ELF or another component: as it was, with its indexes and triggers.
                foreach (var sql in Strings(connection, transaction, "SELECT sql FROM old.sqlite_master WHERE tbl_name = $t AND sql IS NOT NULL ORDER BY type = 'table' DESC", ("$t", table)))
                    Execute(connection, transaction, sql);
            }
            var columns = Columns(connection, transaction, "old", table).Intersect(Columns(connection, transaction, "main", table), StringComparer.OrdinalIgnoreCase)
                .Select(c => $"\"{c}\"").ToList();
            // The fresh database's own rows (install.sh's schema_version and db_operations rows) give way to the old ones.
            Execute(connection, transaction, $"DELETE FROM main.\"{table}\"");
            var copied = Execute(connection, transaction, $"INSERT INTO main.\"{table}\" ({string.Join(", ", columns)}) SELECT {string.Join(", ", columns)} FROM old.\"{table}\"");
            if (copied > 0) notes.Add($"kept {copied} {table} rows from the previous index");
        }

        if (Names(connection, transaction, "old", "table").Contains("learnings"))
        {
            // ELF's hooks' rows: their filepath names no learnings folder, and no file is ever written for them.
            var folders = LearningTypes.All.Select(LearningTypes.Folder).ToList();
            var notAFile = string.Join(" AND ", folders.Select((_, i) => $"o.filepath NOT LIKE $f{i}"));
            var parameters = folders.Select((f, i) => ($"$f{i}", (object)(f + "%"))).ToArray();
            var kept = Execute(connection, transaction, $"""
                INSERT INTO main.learnings(id, type, filepath, title, summary, tags, domain, severity, created_at, updated_at)
                SELECT CASE WHEN EXISTS (SELECT 1 FROM main.learnings m WHERE m.id = o.id) THEN NULL ELSE o.id END,
                       o.type, o.filepath, o.title, o.summary, o.tags, o.domain, o.severity, o.created_at, o.updated_at
                FROM old.learnings o WHERE {notAFile} ORDER BY o.id
                """, parameters);
            if (kept > 0) notes.Add($"kept {kept} learnings rows that ELF's hooks wrote without a file (auto-failures/, auto-observations/)");
        }
        if (Names(connection, transaction, "old", "table").Contains("heuristics"))
        {
            var oldColumns = Columns(connection, transaction, "old", "heuristics").Intersect(Columns(connection, transaction, "main", "heuristics"), StringComparer.OrdinalIgnoreCase).ToList();
            string[] counters = ["confidence", "times_validated", "times_violated", "is_golden", "updated_at"];
            var carried = counters.Where(c => oldColumns.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
            if (carried.Count > 0)
            {
                var updated = Execute(connection, transaction, $"""
                    UPDATE main.heuristics SET {string.Join(", ", carried.Select(c => $"\"{c}\" = o.\"{c}\""))}
                    FROM old.heuristics o WHERE o.id = main.heuristics.id AND o.rule = main.heuristics.rule
                      AND ({string.Join(" OR ", carried.Select(c => $"o.\"{c}\" IS NOT main.heuristics.\"{c}\""))})
                    """);
                if (updated > 0) notes.Add($"kept ELF's counters (confidence, times validated/violated, golden) of {updated} heuristics");
            }
            // Heuristics no domain file has (ELF's auto-extracted ones): kept with their id when it is free.
            var list = string.Join(", ", oldColumns.Where(c => !c.Equals("id", StringComparison.OrdinalIgnoreCase)).Select(c => $"\"{c}\""));
            var kept = Execute(connection, transaction, $"""
                INSERT INTO main.heuristics(id, {list})
                SELECT CASE WHEN EXISTS (SELECT 1 FROM main.heuristics m WHERE m.id = o.id) THEN NULL ELSE o.id END, {string.Join(", ", list.Split(", ").Select(c => "o." + c))}
                FROM old.heuristics o
                WHERE NOT EXISTS (SELECT 1 FROM main.heuristics m WHERE m.id = o.id AND m.rule = o.rule)
                  AND NOT EXISTS (SELECT 1 FROM main.heuristics m WHERE m.domain = o.domain AND m.rule = o.rule)
                ORDER BY o.id
                """);
            if (kept > 0) notes.Add($"kept {kept} heuristics that no domain file holds (ELF's auto-extracted ones)");
        }
        transaction.Commit();
        Execute(connection, null, "DETACH DATABASE old");
        return notes;
    }

    private static HashSet<string> Names(SqliteConnection connection, SqliteTransaction? transaction, string schema, string type) =>
        Strings(connection, transaction, $"SELECT name FROM {schema}.sqlite_master WHERE type = $type", ("$type", type)).ToHashSet(StringComparer.OrdinalIgnoreCase);

    internal static List<string> Columns(SqliteConnection connection, SqliteTransaction? transaction, string schema, string table) =>
        Strings(connection, transaction, $"SELECT name FROM pragma_table_info($t, '{schema}')", ("$t", table));

    private static List<string> Strings(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
    }

    internal static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command.ExecuteNonQuery();
    }

}
