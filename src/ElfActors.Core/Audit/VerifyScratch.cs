using System.Globalization;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Storage;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Audit;

/// <summary>
/// <c>elf verify</c>'s working sets, none of them held in memory: the learnings rows, the learnings files on disk, the
/// branch tip's entries, the outbox and every <c>Elf-Record</c> trailer of the branch, copied streaming into a scratch
/// SQLite database (a file in the OS temp folder, deleted on dispose) and compared there with joins. What verify holds
/// is SQLite's page cache (<see cref="ScratchDatabase.CacheKibibytes"/>) and one row or commit message at a time; the lists it returns
/// are the memory's inconsistencies (docs/adr/0050).
/// </summary>
internal sealed class VerifyScratch : IDisposable
{
    private const string Schema = """
        CREATE TABLE rows (id INTEGER PRIMARY KEY, path TEXT NOT NULL);
        CREATE TABLE files (path TEXT PRIMARY KEY) WITHOUT ROWID;
        -- the tip of the memory's branch under memory/: blob is null for an entry that is not a blob (a submodule)
        CREATE TABLE tip (path TEXT PRIMARY KEY, blob TEXT, learning INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE pending (path TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE committed (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, row_table TEXT NOT NULL, row_id INTEGER NOT NULL,
            relpath TEXT NOT NULL, content_hash TEXT, deleted_by TEXT);
        CREATE TABLE keyed (key TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE unkeyed (id INTEGER PRIMARY KEY);
        -- each Elf-Record trailer of the branch: the commit's number in the log, the key, the key as an integer if it is one
        CREATE TABLE trailers (commit_no INTEGER NOT NULL, key TEXT NOT NULL, number INTEGER);
        -- heuristics and decisions (DropInAudit): rows, their outbox entries' newest hash or path, the trailer keys of
        -- entries waiting for a commit, the domain files in the folder's enumeration order, each ADR file's heading
        CREATE TABLE heuristics (id INTEGER PRIMARY KEY, relpath TEXT NOT NULL, elf_own INTEGER NOT NULL);
        CREATE TABLE heuristic_hashes (id INTEGER PRIMARY KEY, hash TEXT NOT NULL);
        CREATE TABLE pending_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE domain_files (seq INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
        CREATE TABLE decisions (id INTEGER PRIMARY KEY);
        CREATE TABLE decision_outbox (id INTEGER PRIMARY KEY, relpath TEXT NOT NULL);
        CREATE TABLE decision_files (path TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE decision_chosen (path TEXT PRIMARY KEY) WITHOUT ROWID;
        """;

    private readonly string _file;
    private readonly SqliteConnection _connection;

    private VerifyScratch(string file)
    {
        _file = file;
        _connection = ScratchDatabase.Open(file);
    }

    /// <summary>Reads the memory into a new scratch database: the index's rows, the folders, the tip, the outbox, the branch's trailers.</summary>
    public static VerifyScratch Load(MemoryPaths paths)
    {
        var scratch = new VerifyScratch(Path.Combine(Path.GetTempPath(), $"elf-verify-{Guid.NewGuid():N}.db"));
        try
        {
            scratch.Execute(Schema);
            // One transaction (a plain BEGIN: the commands need no transaction object); a failure drops the whole file.
            scratch.Execute("BEGIN");
            scratch.LoadRows(paths);
            scratch.LoadFiles(paths);
            scratch.LoadTip(paths);
            scratch.LoadOutbox(paths);
            scratch.LoadTrailers(paths);
            scratch.LoadDropIns(paths);
            scratch.Execute("""
                CREATE INDEX rows_path ON rows(path); CREATE INDEX heuristics_relpath ON heuristics(relpath, id);
                CREATE INDEX decision_outbox_relpath ON decision_outbox(relpath); CREATE INDEX decision_files_id ON decision_files(id, path);
                COMMIT
                """);
            return scratch;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    public long Rows => Count("SELECT COUNT(*) FROM rows");
    public long Files => Count("SELECT COUNT(*) FROM files");
    public long TrackedFiles => Count("SELECT COUNT(*) FROM tip WHERE learning");
    public long Pending => Count("SELECT COUNT(*) FROM pending");

    /// <summary>Whether the tip holds any blob under memory/.</summary>
    public bool TipHasBlobs => Count("SELECT EXISTS (SELECT 1 FROM tip WHERE blob IS NOT NULL)") != 0;

    /// <summary>Rows whose file is not in its folder.</summary>
    public List<(long Id, string Path)> RowsWithoutFile() =>
        IdsAndPaths("SELECT id, path FROM rows r WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.path = r.path)");

    /// <summary>Rows whose file is there but neither at the branch's tip nor waiting for a commit.</summary>
    public List<(long Id, string Path)> RowsNotInGit() => IdsAndPaths("""
        SELECT id, path FROM rows r WHERE EXISTS (SELECT 1 FROM files f WHERE f.path = r.path)
            AND NOT EXISTS (SELECT 1 FROM tip t WHERE t.path = r.path AND t.learning)
            AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.path = r.path)
        """);

    /// <summary>Rows that lack their file, or whose file is not at the tip, by id, with which of the two they lack.</summary>
    public List<(long Id, string Path, bool HasFile, bool Tracked)> RowsToRepair()
    {
        var rows = new List<(long, string, bool, bool)>();
        using var command = Command("""
            SELECT id, path, EXISTS (SELECT 1 FROM files f WHERE f.path = r.path) AS has_file,
                EXISTS (SELECT 1 FROM tip t WHERE t.path = r.path AND t.learning) AS tracked
            FROM rows r WHERE NOT has_file OR NOT tracked ORDER BY id
            """);
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
        return rows;
    }

    /// <summary>Learnings files with no row naming them, in ordinal order.</summary>
    public List<string> FilesWithoutRow() => Paths("SELECT path FROM files f WHERE NOT EXISTS (SELECT 1 FROM rows r WHERE r.path = f.path)");

    /// <summary>Learnings files at the tip with no row naming them, in ordinal order.</summary>
    public List<string> TrackedWithoutRow() => Paths("SELECT path FROM tip t WHERE learning AND NOT EXISTS (SELECT 1 FROM rows r WHERE r.path = t.path)");

    /// <summary>
    /// Rows named by more than one commit of the branch: a record key resolves to its row through the outbox; an integer
    /// trailer (commits made before record keys) only to a row stored before record keys. A commit counts once per row.
    /// </summary>
    public List<(long Id, string Path, int Commits)> InSeveralCommits()
    {
        var rows = new List<(long, string, int)>();
        using var command = Command("""
            SELECT r.id, r.path, COUNT(DISTINCT named.commit_no) FROM (
                SELECT t.commit_no, k.id FROM trailers t JOIN keyed k ON k.key = t.key
                UNION ALL
                SELECT t.commit_no, u.id FROM trailers t JOIN unkeyed u ON u.id = t.number
                WHERE NOT EXISTS (SELECT 1 FROM keyed k WHERE k.key = t.key)
            ) named JOIN rows r ON r.id = named.id
            GROUP BY r.id HAVING COUNT(DISTINCT named.commit_no) > 1
            """);
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2)));
        return rows;
    }

    /// <summary>One committed outbox entry with its file's blob at the tip (null when the tip has no blob there).</summary>
    public sealed record CommittedEntry(long OutboxId, string Kind, string RowTable, long RowId, string Path, string? ContentHash, string? DeletedBy, string? TipBlob);

    /// <summary>The committed outbox entries by kind and path, streamed.</summary>
    public IEnumerable<CommittedEntry> Committed()
    {
        using var command = Command("""
            SELECT c.id, c.kind, c.row_table, c.row_id, c.relpath, c.content_hash, c.deleted_by, t.blob
            FROM committed c LEFT JOIN tip t ON t.path = c.relpath AND t.blob IS NOT NULL ORDER BY c.kind, c.relpath, c.id
            """);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            yield return new CommittedEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7));
    }

    /// <summary>The blob at this path in the tip, or null.</summary>
    public string? TipBlob(string path)
    {
        using var command = Command("SELECT blob FROM tip WHERE path = $path AND blob IS NOT NULL");
        command.Parameters.AddWithValue("$path", path);
        return command.ExecuteScalar() as string;
    }

    public long Heuristics => Count("SELECT COUNT(*) FROM heuristics");
    public long Decisions => Count("SELECT COUNT(*) FROM decisions");

    /// <summary>The heuristics domain files, in the order the folder listed them.</summary>
    public List<string> DomainFiles()
    {
        var files = new List<string>();
        using var command = Command("SELECT path FROM domain_files ORDER BY seq");
        using var reader = command.ExecuteReader();
        while (reader.Read()) files.Add(reader.GetString(0));
        return files;
    }

    /// <summary>A heuristics row: its id, whether ELF's own writers wrote it, its outbox entry's hash, whether that entry waits for a commit.</summary>
    public sealed record HeuristicRow(long Id, bool ElfOwn, string? Hash, bool Pending);

    /// <summary>The heuristics rows whose domain file is this one, by id.</summary>
    public List<HeuristicRow> HeuristicsOf(string relative)
    {
        var rows = new List<HeuristicRow>();
        using var command = Command("""
            SELECT h.id, h.elf_own, x.hash, EXISTS (SELECT 1 FROM pending_keys p WHERE p.key = 'H-' || h.id)
            FROM heuristics h LEFT JOIN heuristic_hashes x ON x.id = h.id WHERE h.relpath = $relative ORDER BY h.id
            """);
        command.Parameters.AddWithValue("$relative", relative);
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows.Add(new HeuristicRow(reader.GetInt64(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3)));
        return rows;
    }

    /// <summary>Heuristics rows (not ELF's own writers') whose domain file is not in the folder, by id.</summary>
    public List<(long Id, string Path)> HeuristicsWithoutDomainFile() => IdsAndPaths("""
        SELECT id, relpath FROM heuristics h WHERE NOT elf_own AND NOT EXISTS (SELECT 1 FROM domain_files d WHERE d.path = h.relpath) ORDER BY id
        """);

    /// <summary>
    /// Decisions rows without their file (path null) or whose file is neither at the tip nor waiting for a commit, by id.
    /// A row's file is the one its outbox entry names, if headed; else the first file (ordinal) headed with its id that
    /// no outbox entry names. Every row's file is noted for <see cref="DecisionFilesWithoutRow"/>.
    /// </summary>
    public List<(long Id, string? Path)> DecisionsToReport()
    {
        Execute("""
            DELETE FROM decision_chosen;
            CREATE TEMP TABLE chosen AS SELECT d.id, COALESCE(
                (SELECT o.relpath FROM decision_outbox o WHERE o.id = d.id AND EXISTS (SELECT 1 FROM decision_files f WHERE f.path = o.relpath)),
                (SELECT MIN(f.path) FROM decision_files f WHERE f.id = d.id AND NOT EXISTS (SELECT 1 FROM decision_outbox o WHERE o.relpath = f.path))) AS path
            FROM decisions d;
            INSERT OR IGNORE INTO decision_chosen SELECT path FROM temp.chosen WHERE path IS NOT NULL;
            """);
        var rows = new List<(long, string?)>();
        using (var command = Command("""
            SELECT id, path FROM temp.chosen c WHERE path IS NULL
                OR (NOT EXISTS (SELECT 1 FROM tip t WHERE t.path = c.path) AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.path = c.path))
            ORDER BY id
            """))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        Execute("DROP TABLE temp.chosen");
        return rows;
    }

    /// <summary>ADR files headed with an id that no decisions row took (after <see cref="DecisionsToReport"/>), in ordinal order.</summary>
    public List<(string Path, long Id)> DecisionFilesWithoutRow()
    {
        var files = new List<(string Path, long Id)>();
        using var command = Command("""
            SELECT path, id FROM decision_files f WHERE NOT EXISTS (SELECT 1 FROM decision_outbox o WHERE o.relpath = f.path)
                AND NOT EXISTS (SELECT 1 FROM decision_chosen c WHERE c.path = f.path)
            """);
        using var reader = command.ExecuteReader();
        while (reader.Read()) files.Add((reader.GetString(0), reader.GetInt64(1)));
        files.Sort((a, b) => StringComparer.Ordinal.Compare(a.Path, b.Path));
        return files;
    }

    private void LoadRows(MemoryPaths paths)
    {
        using var index = OutboxQueries.OpenReadOnly(paths);
        using var read = index.CreateCommand();
        read.CommandText = MemoryReader.LearningRowsQuery;
        using var reader = read.ExecuteReader();
        using var insert = Insert("INSERT INTO rows (id, path) VALUES ($0, $1)", 2);
        while (reader.Read()) Run(insert, reader.GetInt64(0), reader.GetString(1));
    }

    private void LoadFiles(MemoryPaths paths)
    {
        using var insert = Insert("INSERT OR IGNORE INTO files (path) VALUES ($0)", 1);
        foreach (var file in MemoryReader.LearningFilesOnDisk(paths)) Run(insert, file);
    }

    private void LoadTip(MemoryPaths paths)
    {
        using var insert = Insert("INSERT OR REPLACE INTO tip (path, blob, learning) VALUES ($0, $1, $2)", 3);
        MemoryReader.ForEachTipEntry(paths, (path, type, id) =>
            Run(insert, path, type == "blob" ? id : null, MemoryReader.IsInLearningFolder(path) ? 1 : 0));
    }

    private void LoadOutbox(MemoryPaths paths)
    {
        using var index = OutboxQueries.OpenReadOnly(paths);
        using var read = index.CreateCommand();
        read.CommandText = "SELECT id, kind, row_table, row_id, relpath, content_hash, deleted_by, commit_id IS NULL, record_key FROM elf_outbox ORDER BY id";
        using var reader = read.ExecuteReader();
        using var pending = Insert("INSERT OR IGNORE INTO pending (path) VALUES ($0)", 1);
        using var committed = Insert("INSERT INTO committed VALUES ($0, $1, $2, $3, $4, $5, $6)", 7);
        using var keyed = Insert("INSERT OR REPLACE INTO keyed (key, id) VALUES ($0, $1)", 2);
        using var unkeyed = Insert("INSERT OR IGNORE INTO unkeyed (id) VALUES ($0)", 1);
        // The newest entry's hash or path wins: read by id.
        using var heuristicHash = Insert("INSERT OR REPLACE INTO heuristic_hashes (id, hash) VALUES ($0, $1)", 2);
        using var decisionPath = Insert("INSERT OR REPLACE INTO decision_outbox (id, relpath) VALUES ($0, $1)", 2);
        using var pendingKey = Insert("INSERT OR IGNORE INTO pending_keys (key) VALUES ($0)", 1);
        while (reader.Read())
        {
            var (rowTable, rowId, relpath) = (reader.GetString(2), reader.GetInt64(3), reader.GetString(4));
            if (reader.GetBoolean(7)) Run(pending, relpath);
            else Run(committed, reader.GetInt64(0), reader.GetString(1), rowTable, rowId, relpath,
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6));
            switch (rowTable)
            {
                case OutboxTables.Learnings when reader.IsDBNull(8):
                    Run(unkeyed, rowId);
                    continue;
                case OutboxTables.Learnings:
                    Run(keyed, reader.GetString(8), rowId);
                    continue;
                case OutboxTables.Heuristics when !reader.IsDBNull(5):
                    Run(heuristicHash, rowId, reader.GetString(5));
                    break;
                case OutboxTables.Decisions:
                    Run(decisionPath, rowId, relpath);
                    break;
            }
            if (reader.GetBoolean(7)) Run(pendingKey, OutboxTables.TrailerKey(rowTable, rowId));
        }
    }

    private void LoadTrailers(MemoryPaths paths)
    {
        using var insert = Insert("INSERT INTO trailers (commit_no, key, number) VALUES ($0, $1, $2)", 3);
        var commitNo = 0L;
        MemoryReader.ForEachCommitTrailer(paths, _ => commitNo++, key =>
            Run(insert, commitNo, key, long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null));
    }

    private void LoadDropIns(MemoryPaths paths)
    {
        using (var index = OutboxQueries.OpenReadOnly(paths))
        {
            using var heuristics = Insert("INSERT INTO heuristics (id, relpath, elf_own) VALUES ($0, $1, $2)", 3);
            // ELF's own writers' heuristics (post_tool_learning.py's source_type 'auto') never get a domain-file entry.
            ForEachRow(index, "heuristics", "SELECT id, domain, source_type = 'auto' FROM heuristics", row =>
                Run(heuristics, row.GetInt64(0), HeuristicMarkdown.RelativePath(row.IsDBNull(1) ? string.Empty : row.GetValue(1).ToString()!),
                    !row.IsDBNull(2) && row.GetBoolean(2) ? 1 : 0));
            using var decisions = Insert("INSERT INTO decisions (id) VALUES ($0)", 1);
            ForEachRow(index, "decisions", "SELECT id FROM decisions", row => Run(decisions, row.GetInt64(0)));
        }
        using var domainFile = Insert("INSERT OR IGNORE INTO domain_files (path) VALUES ($0)", 1);
        foreach (var file in Directory.Exists(paths.HeuristicsDirectory) ? Directory.EnumerateFiles(paths.HeuristicsDirectory, "*.md") : [])
            Run(domainFile, HeuristicMarkdown.Folder + Path.GetFileName(file));
        using var decisionFile = Insert("INSERT INTO decision_files (path, id) VALUES ($0, $1)", 2);
        foreach (var file in Directory.Exists(paths.DecisionsDirectory) ? Directory.EnumerateFiles(paths.DecisionsDirectory, "*.md") : [])
            if (DropInAudit.DecisionHeadingId(File.ReadAllText(file)) is { } id) Run(decisionFile, DecisionMarkdown.Folder + Path.GetFileName(file), id);
    }

    /// <summary>Each row of a query on one of ELF's tables, nothing where the table does not exist.</summary>
    private static void ForEachRow(SqliteConnection index, string table, string sql, Action<SqliteDataReader> onRow)
    {
        using var exists = index.CreateCommand();
        exists.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $t";
        exists.Parameters.AddWithValue("$t", table);
        if (exists.ExecuteScalar() is null) return;
        using var command = index.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read()) onRow(reader);
    }

    private SqliteCommand Insert(string sql, int parameters)
    {
        var command = Command(sql);
        for (var i = 0; i < parameters; i++) command.Parameters.Add(new SqliteParameter("$" + i.ToString(CultureInfo.InvariantCulture), null));
        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand insert, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) insert.Parameters[i].Value = values[i] ?? DBNull.Value;
        insert.ExecuteNonQuery();
    }

    private List<(long, string)> IdsAndPaths(string sql)
    {
        var rows = new List<(long, string)>();
        using var command = Command(sql);
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1)));
        return rows;
    }

    private List<string> Paths(string sql)
    {
        var paths = new List<string>();
        using var command = Command(sql);
        using var reader = command.ExecuteReader();
        while (reader.Read()) paths.Add(reader.GetString(0));
        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    private long Count(string sql)
    {
        using var command = Command(sql);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public void Dispose()
    {
        _connection.Dispose();
        try
        {
            File.Delete(_file);
        }
        catch (IOException)
        {
            // a temp file the OS cleans; nothing of the memory's
        }
    }
}
