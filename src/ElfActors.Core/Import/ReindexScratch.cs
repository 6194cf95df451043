using System.Globalization;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Import;

/// <summary>
/// What reindex keeps per learnings file and per history trailer while it rebuilds an index, in a scratch SQLite
/// database beside it (<c>memory/index.db-reindex-scratch</c>, ignored by git like every <c>index.db-*</c>; deleted when
/// the rebuild ends, and when the next one starts after a killed one), never in the process's memory: a memory of
/// 1,000,000 records took 2.2 GB when all of it was held in dictionaries (docs/adr/0051). Written without a journal
/// (nothing in it outlives the rebuild), its page cache bounded, its sorts' and indexes' temporary files on disk (the
/// index's connection keeps them in memory); one transaction for the whole rebuild.
/// </summary>
internal sealed class ReindexScratch : IDisposable
{
    private readonly ScratchSession _session;

    private ReindexScratch(SqliteConnection connection, string path)
    {
        _session = new ScratchSession(connection, path);
    }

    public static ReindexScratch Create(MemoryPaths memory)
    {
        var path = memory.DatabasePath + "-reindex-scratch";
        Directory.CreateDirectory(memory.MemoryDirectory);
        var connection = ScratchDatabase.Open(path); // replaces a killed rebuild's
        try
        {
            // Reindex orders rows as .NET's ordinal comparison does (UTF-16 code units), not SQLite's bytes.
            connection.CreateCollation("ORDINAL", string.CompareOrdinal);
            connection.CreateFunction("same_day", (string? fileDate, string? commitTime) => fileDate is not null && commitTime is not null && Reindexer.SameDay(fileDate, commitTime),
                isDeterministic: true);
            using var setup = connection.CreateCommand();
            setup.CommandText = """
                CREATE TABLE files (path TEXT NOT NULL, type TEXT NOT NULL, title TEXT NOT NULL, domain TEXT NOT NULL, severity INTEGER NOT NULL,
                    tags TEXT NOT NULL, summary TEXT NOT NULL, created TEXT, updated TEXT, added TEXT, id INTEGER);
                CREATE TABLE added_log (seq INTEGER PRIMARY KEY, path TEXT NOT NULL, time TEXT NOT NULL);
                CREATE TABLE trailer_times (key TEXT PRIMARY KEY, time TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE file_keys (seq INTEGER PRIMARY KEY, path TEXT NOT NULL, key TEXT NOT NULL, commit_id TEXT NOT NULL);
                CREATE TABLE entry_keys (path TEXT NOT NULL, hash TEXT NOT NULL, key TEXT NOT NULL, commit_id TEXT NOT NULL, PRIMARY KEY (path, hash)) WITHOUT ROWID;
                CREATE TABLE keyed (seq INTEGER PRIMARY KEY, path TEXT NOT NULL);
                CREATE TABLE tip (path TEXT PRIMARY KEY) WITHOUT ROWID;
                CREATE TABLE claimed (key TEXT PRIMARY KEY) WITHOUT ROWID;
                """;
            setup.ExecuteNonQuery();
            return new ReindexScratch(connection, path);
        }
        catch
        {
            connection.Dispose();
            System.IO.File.Delete(path);
            throw;
        }
    }

    /// <summary>A learnings file the scan read (its row's columns), appended: see <see cref="FilesScanned"/>.</summary>
    public void AddFile(LearningRecord record) => Execute(
        "INSERT INTO files (path, type, title, domain, severity, tags, summary, created, updated) VALUES ($p, $t, $ti, $d, $s, $ta, $su, $c, $u)",
        ("$p", record.RelativePath), ("$t", record.Learning.Type), ("$ti", record.Learning.Title), ("$d", record.Learning.Domain),
        ("$s", record.Learning.Severity), ("$ta", record.Learning.Tags), ("$su", record.Learning.Summary), ("$c", record.CreatedAt), ("$u", record.UpdatedAt));

    /// <summary>
    /// The scan is over: the files are indexed by path (a path is one file's: the scan reads each folder's names once).
    /// Appending rows and indexing them after, rather than inserting into a tree keyed by path in the order the folder
    /// lists them, writes each page once instead of evicting and rewriting pages of a tree bigger than the page cache.
    /// </summary>
    public void FilesScanned() => Execute("""
        CREATE UNIQUE INDEX files_path ON files(path);
        CREATE UNIQUE INDEX files_id ON files(id) WHERE id IS NOT NULL;
        """);

    /// <summary>A scanned learnings file's title and whether it has an id yet; null for a path the scan did not read.</summary>
    public (string Title, bool HasId)? Scanned(string path)
    {
        using var reader = Reader("SELECT title, id IS NOT NULL FROM files WHERE path = $p", ("$p", path));
        return reader.Read() ? (reader.GetString(0), reader.GetBoolean(1)) : null;
    }

    /// <summary>A commit added the file (the first one's time is its added time: <see cref="HistoryRead"/>).</summary>
    public void Added(string path, string time) =>
        Execute("INSERT INTO added_log (path, time) VALUES ($p, $t)", ("$p", path), ("$t", time));

    public bool IdTaken(long id) => Scalar("SELECT 1 FROM files WHERE id = $i", ("$i", id)) is not null;

    public void SetId(string path, long id) => Execute("UPDATE files SET id = $i WHERE path = $p", ("$p", path), ("$i", id));

    /// <summary>A trailer key's first commit time (a later one is ignored).</summary>
    public void TrailerNamed(string key, string time) =>
        Execute("INSERT OR IGNORE INTO trailer_times (key, time) VALUES ($k, $t)", ("$k", key), ("$t", time));

    public string? TrailerTime(string key) => Scalar("SELECT time FROM trailer_times WHERE key = $k", ("$k", key)) as string;

    /// <summary>A keyed trailer named a file (the newest one is the file's key: <see cref="FileKey"/>).</summary>
    public void FileKeyNamed(string path, string key, string commit) =>
        Execute("INSERT INTO file_keys (path, key, commit_id) VALUES ($p, $k, $c)", ("$p", path), ("$k", key), ("$c", commit));

    public (string Key, string Commit)? FileKey(string path)
    {
        using var reader = Reader("SELECT key, commit_id FROM file_keys WHERE path = $p ORDER BY seq DESC LIMIT 1", ("$p", path));
        return reader.Read() ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    /// <summary>The newest <c>Elf-Entry</c> trailer naming an entry of a shared file (a later one replaces it).</summary>
    public void EntryKeyNamed(string path, string hash, string key, string commit) =>
        Execute("INSERT OR REPLACE INTO entry_keys (path, hash, key, commit_id) VALUES ($p, $h, $k, $c)", ("$p", path), ("$h", hash), ("$k", key), ("$c", commit));

    public (string Key, string Commit)? EntryKey(string path, string hash)
    {
        using var reader = Reader("SELECT key, commit_id FROM entry_keys WHERE path = $p AND hash = $h", ("$p", path), ("$h", hash));
        return reader.Read() ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    /// <summary>A keyed trailer named a scanned learnings file: in this order, such files are numbered after the integer ids.</summary>
    public void Keyed(string path) =>
        Execute("INSERT INTO keyed (path) SELECT $p WHERE EXISTS (SELECT 1 FROM files WHERE path = $p)", ("$p", path));

    /// <summary>
    /// History is read: numbers the files keyed trailers named and no integer trailer did, in the order history first
    /// named them, after the largest integer id; gives every file the time of the first commit that added it, and that
    /// time as its created_at where it falls on the file's own date (±1 day). Set-wise, each table read in order.
    /// Returns how many files have an id.
    /// </summary>
    public int HistoryRead()
    {
        var next = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(id) + 1, 1) FROM files"), CultureInfo.InvariantCulture);
        Execute("""
            DROP INDEX files_id;
            CREATE TABLE numbered (path TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO numbered (path, n)
                SELECT path, ROW_NUMBER() OVER (ORDER BY first) - 1 FROM (
                    SELECT k.path AS path, MIN(k.seq) AS first FROM keyed k JOIN files f ON f.path = k.path WHERE f.id IS NULL GROUP BY k.path);
            UPDATE files SET id = $next + (SELECT n FROM numbered WHERE numbered.path = files.path) WHERE id IS NULL;
            CREATE INDEX added_log_path ON added_log(path, seq);
            UPDATE files SET added = (SELECT time FROM added_log a WHERE a.path = files.path ORDER BY a.seq LIMIT 1);
            UPDATE files SET created = added, updated = added WHERE added IS NOT NULL AND (created IS NULL OR same_day(created, added));
            CREATE INDEX file_keys_path ON file_keys(path, seq);
            """, ("$next", next));
        return Convert.ToInt32(Scalar("SELECT COUNT(*) FROM files WHERE id IS NOT NULL"), CultureInfo.InvariantCulture);
    }

    public int FileCount => Convert.ToInt32(Scalar("SELECT COUNT(*) FROM files"), CultureInfo.InvariantCulture);

    /// <summary>Every file as a row to store, in the order reindex stores them: by id (those without last), then time, then path.</summary>
    public IEnumerable<(long? Id, LearningRecord Record)> Learnings()
    {
        using var command = Command("""
            SELECT path, type, title, domain, severity, tags, summary, created, updated, id FROM files
            ORDER BY id IS NULL, id, created COLLATE ORDINAL, path COLLATE ORDINAL
            """);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var learning = new ValidatedLearning(reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetString(5), reader.GetString(6)) { Type = reader.GetString(1) };
            yield return (reader.IsDBNull(9) ? null : reader.GetInt64(9), new LearningRecord(reader.GetString(0), learning, null, string.Empty, Text(7), Text(8)));
        }
    }

    /// <summary>A file the branch's tip holds.</summary>
    public void AddTipFile(string path) => Execute("INSERT OR IGNORE INTO tip (path) VALUES ($p)", ("$p", path));

    public bool InTip(string path) => Scalar("SELECT 1 FROM tip WHERE path = $p", ("$p", path)) is not null;

    /// <summary>Claims a record key for one row; false when another row has it.</summary>
    public bool Claim(string key) => Execute("INSERT OR IGNORE INTO claimed (key) VALUES ($k)", ("$k", key)) == 1;

    public void Dispose() => _session.Dispose();

    private SqliteCommand Command(string sql) => _session.Command(sql);

    private int Execute(string sql, params (string Name, object? Value)[] parameters) => _session.Execute(sql, parameters);

    private object? Scalar(string sql, params (string Name, object? Value)[] parameters) => _session.Scalar(sql, parameters);

    private SqliteDataReader Reader(string sql, params (string Name, object? Value)[] parameters) => _session.Reader(sql, parameters);
}
