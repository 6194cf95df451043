using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ElfActors.Core.Git;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Import;

/// <summary>
/// The rest of an ELF memory that <c>elf import</c> brings across besides learnings, heuristics and decisions: the rows
/// of ELF's other record tables (spike reports, assumptions, invariants, violations, experiments and their cycles, CEO
/// reviews), and the files ELF's other writers keep (<c>memory/golden-rules.md</c>, <c>memory/spikes/</c>,
/// <c>experiments/</c>, <c>ceo-inbox/</c>). Rows get new ids; a row is imported once, keyed by its source (folder,
/// table, id) and a hash of its values, kept in <c>elf_imported</c>. A file is copied where this memory has none and
/// committed; one this memory has with other content is reported, never overwritten.
/// </summary>
public static class ElfArtefactImporter
{
    /// <summary>ELF's record tables that ElfActors does not write, in an order that keeps references (cycles after experiments).</summary>
    public static readonly string[] Tables = ["spike_reports", "assumptions", "invariants", "violations", "experiments", "cycles", "ceo_reviews"];

    /// <summary>ELF's files besides learnings, heuristics and decisions (base-relative; a folder ends with '/').</summary>
    public static readonly string[] Files = ["memory/golden-rules.md", "memory/spikes/", "experiments/", "ceo-inbox/"];

    public sealed record Result(IReadOnlyList<string> Imported, IReadOnlyList<string> Notes, int Commits);

    public static Result Run(MemoryPaths source, MemoryPaths target, GitStore git)
    {
        var imported = new List<string>();
        var notes = new List<string>();
        if (File.Exists(source.DatabasePath)) ImportRows(source, target, imported, notes);

        var copied = new List<string>();
        foreach (var entry in Files)
        {
            var paths = entry.EndsWith('/')
                ? Directory.Exists(source.Absolute(entry))
                    ? Directory.EnumerateFiles(source.Absolute(entry), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(source.BasePath, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList()
                    : []
                : File.Exists(source.Absolute(entry)) ? [entry] : [];
            var count = 0;
            foreach (var relative in paths)
            {
                var from = source.Absolute(relative);
                var to = target.Absolute(relative);
                var bytes = File.ReadAllBytes(from);
                if (File.Exists(to))
                {
                    if (!File.ReadAllBytes(to).AsSpan().SequenceEqual(bytes)) notes.Add($"{relative}: not imported, this memory has a different file there");
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.WriteAllBytes(to, bytes);
                copied.Add(relative);
                count++;
            }
            if (count > 0) imported.Add($"{entry.TrimEnd('/')}: {count} file{(count == 1 ? "" : "s")}");
        }
        var commits = 0;
        if (copied.Count > 0)
        {
            git.CommitFiles(copied, $"elf import: ELF's other files ({copied.Count})\n\n" + string.Join('\n', copied));
            commits++;
        }
        return new Result(imported, notes, commits);
    }

    private static void ImportRows(MemoryPaths source, MemoryPaths target, List<string> imported, List<string> notes)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS elf_imported (source_key TEXT PRIMARY KEY, row_table TEXT NOT NULL, row_id INTEGER NOT NULL)");
        Execute(connection, null, "ATTACH DATABASE $source AS source", ("$source", source.DatabasePath)); // only read
        using var transaction = connection.BeginTransaction(deferred: false);
        var newExperimentIds = new Dictionary<long, long>(); // a cycle's experiment follows it to its new id
        foreach (var table in Tables)
        {
            var sourceColumns = Columns(connection, transaction, "source", table);
            if (sourceColumns.Count == 0) continue;
            var targetColumns = Columns(connection, transaction, "main", table);
            var columns = sourceColumns.Where(c => c != "id" && targetColumns.Contains(c)).ToList();
            var lacking = sourceColumns.Where(c => c != "id" && !targetColumns.Contains(c)).ToList();
            if (lacking.Count > 0) notes.Add($"{table}: columns this memory's table lacks, not imported: {string.Join(", ", lacking)}");
            var count = 0;
            using var read = connection.CreateCommand();
            read.Transaction = transaction;
            read.CommandText = $"SELECT id, {string.Join(", ", columns.Select(c => $"\"{c}\""))} FROM source.\"{table}\" ORDER BY id";
            // Row by row as the source gives them (inserting into this memory's table while the source's is read), not a list of the table.
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                var sourceId = Convert.ToInt64(row[0], CultureInfo.InvariantCulture);
                var values = row.Skip(1).ToArray();
                // References to rows imported here (a cycle's experiment) follow them to their new ids.
                if (table == "cycles" && columns.IndexOf("experiment_id") is var e and >= 0 && values[e] is { } experiment
                    && newExperimentIds.TryGetValue(Convert.ToInt64(experiment, CultureInfo.InvariantCulture), out var newExperiment))
                    values[e] = newExperiment;
                var key = $"{source.BasePath}\n{table}\n{sourceId}\n" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                    string.Join('\u001f', row.Skip(1).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "\u0000")))));
                using var known = connection.CreateCommand();
                known.Transaction = transaction;
                known.CommandText = "SELECT row_id FROM elf_imported WHERE source_key = $k";
                known.Parameters.AddWithValue("$k", key);
                if (known.ExecuteScalar() is { } existing)
                {
                    if (table == "experiments") newExperimentIds[sourceId] = Convert.ToInt64(existing, CultureInfo.InvariantCulture);
                    continue;
                }
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = $"INSERT INTO main.\"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => "$v" + i))}) RETURNING id";
                for (var i = 0; i < columns.Count; i++) insert.Parameters.AddWithValue("$v" + i, values[i] ?? DBNull.Value);
                long newId;
                try
                {
                    newId = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode == 19) // a constraint: experiments' unique name
                {
                    notes.Add($"{table} row {sourceId}: not imported ({ex.Message.Split('\'').ElementAtOrDefault(1) ?? ex.Message})");
                    continue;
                }
                Execute(connection, transaction, "INSERT INTO elf_imported(source_key, row_table, row_id) VALUES ($k, $t, $i)", ("$k", key), ("$t", table), ("$i", newId));
                if (table == "experiments") newExperimentIds[sourceId] = newId;
                count++;
            }
            if (count > 0) imported.Add($"{table}: {count} row{(count == 1 ? "" : "s")}");
        }
        transaction.Commit();
        Execute(connection, null, "DETACH DATABASE source");
    }

    private static List<string> Columns(SqliteConnection connection, SqliteTransaction transaction, string schema, string table) =>
        ElfRowsCarrier.Columns(connection, transaction, schema, table);

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object)[] parameters) =>
        ElfRowsCarrier.Execute(connection, transaction, sql, parameters);
}
