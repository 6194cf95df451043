using System.Text.RegularExpressions;
using ElfActors.Actors;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Conformance;

/// <summary>
/// The schema of a memory elf creates against the schema ELF itself creates: ELF's own init_db.sql run with the
/// sqlite3 shell into a fresh database, then ELF's own query.py started on it (as install.sh and the first session
/// do). Compared through sqlite_master and pragma table_info, read with sqlite3, so a refresh of ELF that changes its
/// schema fails here (docs/adr/0020).
/// </summary>
public sealed partial class ElfSchemaConformanceTests : IDisposable
{
    private readonly TempMemory _ours = new();
    private readonly TempMemory _elf = new();

    /// <summary>A database as an ELF install that ran a session has it.</summary>
    private void CreateElfDatabase(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        var (code, _, stderr) = Tools.Run("sqlite3", Path.GetDirectoryName(databasePath)!, databasePath, ".read " + ElfSnapshot.File("templates", "init_db.sql"));
        Assert.True(code == 0, stderr);
        RunQueryPy(Path.GetDirectoryName(Path.GetDirectoryName(databasePath))!, "--stats");
    }

    private static void RunQueryPy(string basePath, params string[] arguments)
    {
        var result = ElfSnapshot.Run(ElfSnapshot.Python, basePath, basePath, null, null,
            [ElfSnapshot.File("query", "query.py"), "--base-path", basePath, .. arguments]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static Dictionary<string, string> Objects(string database) =>
        Tools.Sqlite(database, "SELECT type || ' ' || name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
            .ToDictionary(r => r[0], r => Normalise(r[1]));

    private static List<string> Columns(string database, string table) =>
        Tools.Sqlite(database, $"SELECT name || ' ' || type || ' notnull=' || \"notnull\" || ' default=' || COALESCE(dflt_value, '-') || ' pk=' || pk FROM pragma_table_info('{table}')")
            .Select(r => r[0]).ToList();

    private static string Normalise(string sql) => Whitespace().Replace(sql, " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [ElfPythonFact]
    public void A_memory_elf_creates_has_every_object_of_elfs_schema_with_elfs_columns_plus_the_union_of_both_shapes()
    {
        CreateElfDatabase(_elf.DatabasePath);
        using (MemoryIndex.Open(_ours.Paths, ElfSettings.Default.Index)) { }

        var elf = Objects(_elf.DatabasePath);
        var ours = Objects(_ours.DatabasePath);
        Assert.True(elf.Count >= 90, $"ELF's schema has only {elf.Count} objects");
        Assert.Empty(elf.Keys.Except(ours.Keys));
        Assert.DoesNotContain(ours.Keys.Except(elf.Keys), k => !k.Split(' ')[1].StartsWith("elf_", StringComparison.Ordinal));
        // Indexes and triggers: the same definitions.
        foreach (var (key, sql) in elf.Where(o => !o.Key.StartsWith("table ", StringComparison.Ordinal)))
            Assert.Equal(sql, ours[key]);
        // Tables: ELF's columns, in ELF's order, and after them the union columns (the other shape's), nothing else.
        var union = ElfSchema.UnionColumns.ToLookup(u => u.Table, u => u.Column);
        foreach (var table in elf.Keys.Where(k => k.StartsWith("table ", StringComparison.Ordinal)).Select(k => k[6..]))
        {
            var elfColumns = Columns(_elf.DatabasePath, table);
            var ourColumns = Columns(_ours.DatabasePath, table);
            Assert.Equal(elfColumns, ourColumns.Take(elfColumns.Count));
            Assert.Equal(union[table].Where(c => !elfColumns.Any(e => e.StartsWith(c + " ", StringComparison.Ordinal))).Order(),
                ourColumns.Skip(elfColumns.Count).Select(c => c.Split(' ')[0]).Order());
        }
        // schema_version and db_operations as install.sh leaves them.
        Assert.Equal(Tools.Sqlite(_elf.DatabasePath, "SELECT version, description FROM schema_version").Select(r => string.Join('|', r)),
            Tools.Sqlite(_ours.DatabasePath, "SELECT version, description FROM schema_version").Select(r => string.Join('|', r)));
        Assert.Equal("1|0|0|0", string.Join('|', Tools.Sqlite(_ours.DatabasePath, "SELECT id, operation_count, total_vacuums, total_analyzes FROM db_operations").Single()));
    }

    [ElfFact]
    public void The_union_columns_are_exactly_those_that_init_db_sql_and_query_py_give_one_table_differently()
    {
        // query.py's shapes, read from query.py itself into a scratch database, against init_db.sql's.
        var queryPy = File.ReadAllText(ElfSnapshot.File("query", "query.py"));
        var creates = CreateTable().Matches(queryPy).Select(m => m.Groups[1].Value + ";").ToList();
        Assert.True(creates.Count >= 10, "query.py's CREATE TABLE statements not found");
        var scratch = Path.Combine(_elf.BasePath, "querypy.db");
        var (code, _, stderr) = Tools.Run("sqlite3", _elf.BasePath, scratch, string.Join('\n', creates));
        Assert.True(code == 0, stderr);
        var init = Path.Combine(_elf.BasePath, "init.db");
        (code, _, stderr) = Tools.Run("sqlite3", _elf.BasePath, init, ".read " + ElfSnapshot.File("templates", "init_db.sql"));
        Assert.True(code == 0, stderr);

        var expected = new List<string>();
        foreach (var table in Tools.Sqlite(scratch, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").Select(r => r[0]))
        {
            var initColumns = Tools.Sqlite(init, $"SELECT name FROM pragma_table_info('{table}')").Select(r => r[0]).ToList();
            if (initColumns.Count == 0) continue; // a table only query.py has: elf-components.sql creates it in query.py's shape
            var queryColumns = Tools.Sqlite(scratch, $"SELECT name FROM pragma_table_info('{table}')").Select(r => r[0]);
            expected.AddRange(queryColumns.Except(initColumns).Select(c => $"{table}.{c}"));
        }
        // And the columns that init_db.sql has and query.py's shape lacks, for a table query.py made first.
        foreach (var table in Tools.Sqlite(scratch, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").Select(r => r[0]))
        {
            var queryColumns = Tools.Sqlite(scratch, $"SELECT name FROM pragma_table_info('{table}')").Select(r => r[0]).ToList();
            var initColumns = Tools.Sqlite(init, $"SELECT name FROM pragma_table_info('{table}')").Select(r => r[0]);
            expected.AddRange(initColumns.Except(queryColumns).Select(c => $"{table}.{c}"));
        }
        Assert.Equal(expected.Order(), ElfSchema.UnionColumns.Select(u => $"{u.Table}.{u.Column}").Order());
    }

    [GeneratedRegex(@"cursor\.execute\(\s*""""""\s*(CREATE TABLE IF NOT EXISTS[\s\S]*?)""""""\s*\)")]
    private static partial Regex CreateTable();

    [ElfPythonFact]
    public void An_elf_database_of_an_older_version_is_used_as_it_is_and_only_gains_what_it_lacks()
    {
        // An older ELF: only the four tables ELF-REFERENCE.md describes, with a row and its own version row.
        Directory.CreateDirectory(_elf.Paths.MemoryDirectory);
        var (code, _, stderr) = Tools.Run("sqlite3", _elf.BasePath, _elf.DatabasePath,
            ".read " + Path.Combine(AppContext.BaseDirectory, "Fixtures", "elf-schema.sql"));
        Assert.True(code == 0, stderr);
        Tools.Run("sqlite3", _elf.BasePath, _elf.DatabasePath,
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at DATETIME DEFAULT CURRENT_TIMESTAMP, description TEXT);" +
            "INSERT INTO schema_version VALUES (1, '2025-01-01 00:00:00', 'old ELF');" +
            "CREATE TABLE workflow_runs (id INTEGER PRIMARY KEY, workflow_name TEXT NOT NULL, status TEXT, created_at DATETIME);" +
            "INSERT INTO workflow_runs (id, workflow_name) VALUES (7, 'kept');" +
            "INSERT INTO learnings (type, filepath, title, domain, severity) VALUES ('failure', 'memory/failures/x.md', 'kept', 'd', 3);");
        var before = Objects(_elf.DatabasePath);
        var rowsBefore = Tools.Sqlite(_elf.DatabasePath, "SELECT * FROM learnings").Select(r => string.Join('|', r)).ToList();

        using (var index = MemoryIndex.Open(_elf.Paths, ElfSettings.Default.Index)) { }

        var after = Objects(_elf.DatabasePath);
        foreach (var (key, sql) in before.Where(o => o.Key != "table workflow_runs")) Assert.Equal(sql, after[key]);
        Assert.StartsWith(before["table workflow_runs"].TrimEnd(')'), after["table workflow_runs"]);
        Assert.Equal(rowsBefore, Tools.Sqlite(_elf.DatabasePath, "SELECT * FROM learnings").Select(r => string.Join('|', r)));
        Assert.Equal(["1|old ELF"], Tools.Sqlite(_elf.DatabasePath, "SELECT version, description FROM schema_version").Select(r => string.Join('|', r)));
        // The old workflow_runs keeps its row and gains the columns ELF's writers need; its indexes on columns it
        // lacks are left out, not the whole memory.
        Assert.Equal("7|kept", string.Join('|', Tools.Sqlite(_elf.DatabasePath, "SELECT id, workflow_name FROM workflow_runs").Single()));
        Assert.Contains("output_json", Tools.Sqlite(_elf.DatabasePath, "SELECT name FROM pragma_table_info('workflow_runs')").Select(r => r[0]));
        foreach (var table in new[] { "metrics", "trails", "spike_reports", "assumptions", "invariants", "session_summaries", "system_health" })
            Assert.Contains($"table {table}", after.Keys);

        // And ELF's own query.py works on it.
        RunQueryPy(_elf.BasePath, "--stats");
    }

    public void Dispose()
    {
        _ours.Dispose();
        _elf.Dispose();
    }
}
