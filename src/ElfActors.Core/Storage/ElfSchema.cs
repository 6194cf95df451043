using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>What applying ELF's schema to a database did.</summary>
/// <param name="Created">objects (tables, indexes, views, triggers) that were missing and were created</param>
/// <param name="AddedColumns">columns added to a table of another shape (<c>table.column</c>)</param>
/// <param name="Skipped">objects that could not be created on this database's older shape, with SQLite's reason</param>
public sealed record ElfSchemaReport(IReadOnlyList<string> Created, IReadOnlyList<string> AddedColumns, IReadOnlyList<string> Skipped);

/// <summary>
/// ELF's whole schema: every table, index and trigger of ELF's <c>templates/init_db.sql</c> (embedded byte for byte)
/// and what ELF's <c>query.py</c> adds on every start (<c>Storage/Elf/elf-components.sql</c>), with
/// <c>schema_version</c> as install.sh leaves it. Additive only (docs/adr/0020): an object that exists is never
/// touched, whatever its shape; a missing one is created; a column that one of ELF's two shapes of a table has and
/// the database lacks is added; nothing is ever dropped or rewritten.
/// </summary>
public static partial class ElfSchema
{
    /// <summary>
    /// Columns that init_db.sql and query.py give one table differently: the union, so that both ELF's writers and
    /// readers work whichever created the table (the conductor writes <c>output_json</c>, <c>context_json</c> and
    /// <c>error_message</c>, which only init_db.sql has; the dashboard's run diff reads <c>node_executions.output</c>,
    /// which only query.py has). Added as ELF declares them; SQLite cannot add a column whose default is
    /// <c>CURRENT_TIMESTAMP</c>, so <c>updated_at</c> comes without one.
    /// </summary>
    public static readonly IReadOnlyList<(string Table, string Column, string Declaration)> UnionColumns =
    [
        ("workflow_runs", "output_json", "TEXT DEFAULT '{}'"),
        ("workflow_runs", "context_json", "TEXT DEFAULT '{}'"),
        ("workflow_runs", "error_message", "TEXT"),
        ("workflow_runs", "updated_at", "DATETIME"),
        ("node_executions", "output", "TEXT"),
    ];

    /// <summary>ELF's schema scripts in the order ELF runs them: install.sh's init_db.sql, then query.py's.</summary>
    public static readonly IReadOnlyList<string> ResourceNames = ["init_db.sql", "elf-components.sql"];

    private static readonly Lazy<IReadOnlyList<Statement>> Statements = new(() =>
        ResourceNames.SelectMany(name => Split(ReadResource(name))).ToList());

    /// <summary>Every object ELF's schema has (type and name), as sqlite_master names them.</summary>
    public static IReadOnlyList<(string Type, string Name)> Objects =>
        Statements.Value.Where(s => s.Name is not null).Select(s => (s.Type!, s.Name!)).ToList();

    /// <summary>The text of one of ELF's embedded schema scripts, as ELF ships it.</summary>
    public static string ReadResource(string name)
    {
        using var stream = typeof(ElfSchema).Assembly.GetManifestResourceStream("ElfActors.Elf." + name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Brings a database up to ELF's whole schema inside the caller's transaction. Cheap when nothing is missing
    /// (one read of sqlite_master and of two tables' columns).
    /// </summary>
    public static ElfSchemaReport Apply(SqliteConnection connection, SqliteTransaction transaction)
    {
        var existing = Names(connection, transaction);
        var fresh = !existing.Contains("learnings");
        var created = new List<string>();
        var skipped = new List<string>();
        foreach (var statement in Statements.Value)
        {
            if (statement.Name is null)
            {
                // Rows (install.sh's schema_version row, db_operations' single row): only into a table made just now, so
                // an existing database's own version rows stay exactly as its ELF left them.
                if (statement.RowTable is { } table && created.Contains($"table {table}")) Execute(connection, transaction, statement.Sql);
                continue;
            }
            if (existing.Contains(statement.Name)) continue;
            if (statement.Table is { } on && !created.Contains($"table {on}") && existing.Contains(on)
                && Shapes.Value[on].Except(Columns(connection, transaction, on), StringComparer.OrdinalIgnoreCase).ToList() is [_, ..] lacking)
            {
                // A table of an older shape: an index or trigger naming a column it lacks would break ELF's own writes
                // to it (SQLite checks a trigger's columns only when it fires). The table stays as it is.
                skipped.Add($"{statement.Type} {statement.Name}: {on} lacks {string.Join(", ", lacking)}");
                continue;
            }
            try
            {
                Execute(connection, transaction, statement.Sql);
                existing.Add(statement.Name);
                created.Add($"{statement.Type} {statement.Name}");
            }
            catch (SqliteException e) when (statement.Type != "table")
            {
                // An index or trigger on a table of an older shape (a column it names is missing): the table stays as it is.
                skipped.Add($"{statement.Type} {statement.Name}: {e.Message}");
            }
        }
        var added = new List<string>();
        foreach (var (table, column, declaration) in UnionColumns)
        {
            if (!existing.Contains(table)) continue;
            if (Columns(connection, transaction, table).Contains(column)) continue;
            Execute(connection, transaction, $"ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {declaration}");
            added.Add($"{table}.{column}");
        }
        // init_db.sql ends with ANALYZE: ELF's fresh database has the planner's statistics, ours too.
        if (fresh) Execute(connection, transaction, "ANALYZE");
        return new ElfSchemaReport(created, added, skipped);
    }

    private static HashSet<string> Names(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name FROM sqlite_master";
        using var reader = command.ExecuteReader();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    private static HashSet<string> Columns(SqliteConnection connection, SqliteTransaction transaction, string table)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name FROM pragma_table_info($table)";
        command.Parameters.AddWithValue("$table", table);
        using var reader = command.ExecuteReader();
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read()) columns.Add(reader.GetString(0));
        return columns;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record Statement(string Sql, string? Type, string? Name, string? RowTable)
    {
        /// <summary>The table an index or trigger is on.</summary>
        public string? Table => Type is "index" or "trigger" && OnTable().Match(Sql) is { Success: true } on ? on.Groups[1].Value : null;
    }

    /// <summary>Each of ELF's tables' columns, as ELF's scripts create them (applied once to an in-memory database).</summary>
    private static readonly Lazy<Dictionary<string, HashSet<string>>> Shapes = new(() =>
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var statement in Statements.Value.Where(s => s.Name is not null)) Execute(connection, transaction, statement.Sql);
        return Statements.Value.Where(s => s.Type == "table")
            .ToDictionary(s => s.Name!, s => Columns(connection, transaction, s.Name!), StringComparer.OrdinalIgnoreCase);
    });

    [GeneratedRegex(@"\sON\s+(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex OnTable();

    [GeneratedRegex(@"^CREATE\s+(TABLE|INDEX|UNIQUE\s+INDEX|VIEW|TRIGGER)\s+IF\s+NOT\s+EXISTS\s+(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateStatement();

    [GeneratedRegex(@"^INSERT\s+OR\s+(?:REPLACE|IGNORE)\s+INTO\s+(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex InsertStatement();

    /// <summary>
    /// Splits a script into statements (a trigger ends at its <c>END;</c>), without comments. ELF's row inserts are
    /// kept, for tables made in the same run; its closing ANALYZE is run by <see cref="Apply"/> on a new database only.
    /// </summary>
    private static IEnumerable<Statement> Split(string script)
    {
        var current = new System.Text.StringBuilder();
        var inTrigger = false;
        foreach (var rawLine in script.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            var trimmed = line.Trim();
            if (current.Length == 0 && (trimmed.Length == 0 || trimmed.StartsWith("--", StringComparison.Ordinal))) continue;
            if (current.Length == 0) inTrigger = trimmed.StartsWith("CREATE TRIGGER", StringComparison.OrdinalIgnoreCase);
            current.Append(line).Append('\n');
            var ends = inTrigger ? trimmed.Equals("END;", StringComparison.OrdinalIgnoreCase) : trimmed.EndsWith(';');
            if (!ends) continue;
            var sql = current.ToString().Trim();
            current.Clear();
            var match = CreateStatement().Match(sql);
            if (match.Success)
            {
                var type = match.Groups[1].Value.ToLowerInvariant();
                yield return new Statement(sql, type.EndsWith("index", StringComparison.Ordinal) ? "index" : type, match.Groups[2].Value, null);
            }
            else if (InsertStatement().Match(sql) is { Success: true } insert)
            {
                yield return new Statement(sql, null, null, insert.Groups[1].Value);
            }
            else if (sql.StartsWith("ANALYZE", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            else
            {
                throw new InvalidOperationException($"ELF's schema has a statement ElfSchema does not know how to apply: {sql[..Math.Min(60, sql.Length)]}");
            }
        }
        if (current.ToString().Trim().Length > 0) throw new InvalidOperationException("ELF's schema ends in an unterminated statement");
    }
}
