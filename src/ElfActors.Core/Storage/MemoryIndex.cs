using System.Globalization;
using ElfActors.Core.Markdown;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>
/// One connection to <c>memory/index.db</c>. Not thread-safe: each owner (the index writer, the committer)
/// opens its own. Writes from any number of records go into one transaction, one savepoint per record,
/// so a batch costs one fsync and a bad record never takes its neighbours down with it.
/// </summary>
public sealed partial class MemoryIndex : IDisposable
{
    private const int MaxNameAttempts = 10_000;
    private const int MaxRememberedStems = 4096;
    private readonly SqliteConnection _connection;
    private readonly MemoryPaths _paths;
    // Where the search for a free name of each stem starts: the attempt after the last one taken here. Without it
    // the n-th same-day same-title record probes n names (one query and one stat each): quadratic, and the index
    // writer's main cost when agents repeat a title. Only a hint: every candidate is still checked.
    private readonly Dictionary<string, int> _nextAttempt = new(StringComparer.Ordinal);
    // The hints a batch's first attempt changed, with their values before it, to take back if it rolls back. (A copy
    // of all the hints per batch was a large object, 4,096 stems, and a full collection every few batches.)
    private readonly List<(string Stem, int Before)> _hintsChanged = [];
    private bool _recordingHints;
    private bool _hintsClearedMeanwhile;

    private MemoryIndex(SqliteConnection connection, MemoryPaths paths)
    {
        _connection = connection;
        _paths = paths;
    }

    /// <summary>
    /// A new index is its user's alone whatever the umask of the process that opens it (an embedding host's too:
    /// docs/security.md); SQLite gives the -wal and -shm files the database file's mode. An empty file is an empty database.
    /// </summary>
    private static void CreatePrivately(string databasePath)
    {
        if (OperatingSystem.IsWindows() || File.Exists(databasePath)) return;
        try
        {
            using var created = new FileStream(databasePath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(databasePath))
        {
            // another opener created it meanwhile
        }
    }

    public static MemoryIndex Open(MemoryPaths paths, IndexOptions options)
    {
        Directory.CreateDirectory(paths.MemoryDirectory);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = paths.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        CreatePrivately(paths.DatabasePath);
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};");
            Execute(connection, "PRAGMA journal_mode = WAL;");
            Execute(connection, $"PRAGMA synchronous = {options.Synchronous.ToString().ToUpperInvariant()};");
            // Each insert of a batch's transaction saves the pages it changes to a statement journal first (the
            // validation triggers and unique indexes may abort one statement, not the transaction): about 20 KB a
            // record, 4 KB per write, into a temporary file in /var/tmp by default. That was most of the index
            // writer's cost per record (docs/adr/0012). The journal only lives for one statement: memory it is.
            Execute(connection, "PRAGMA temp_store = MEMORY;");
            Migrate(connection);
            var index = new MemoryIndex(connection, paths);
            index.RememberOpenedFile();
            return index;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs SQLite's code on a database in memory, touching no file: the native library loaded, Microsoft.Data.Sqlite's
    /// connection, commands, parameters, a transaction and a reader, as <see cref="Open"/> and a first record use them.
    /// `elf serve` runs it on the other core while it parses its arguments and takes its lock (docs/adr/0064).
    /// </summary>
    public static void WarmUp()
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = ":memory:", Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 1 };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 1000;");
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            Execute(connection, "CREATE TABLE warm_up(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)", transaction);
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO warm_up(text) VALUES ($t) RETURNING id";
            insert.Parameters.AddWithValue("$t", "warm-up");
            _ = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
            transaction.Commit();
        }
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT id, text FROM warm_up WHERE text = $t";
        read.Parameters.AddWithValue("$t", "warm-up");
        using var reader = read.ExecuteReader();
        while (reader.Read()) _ = (reader.GetInt64(0), reader.GetString(1));
    }

    public int SchemaVersion
    {
        get
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM elf_migrations";
            return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    private static void Migrate(SqliteConnection connection)
    {
        // IMMEDIATE so two processes opening a new memory at once migrate one after the other.
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, Schema.MigrationsTable, transaction);
        using var current = connection.CreateCommand();
        current.Transaction = transaction;
        current.CommandText = "SELECT COALESCE(MAX(version), 0) FROM elf_migrations";
        var version = Convert.ToInt32(current.ExecuteScalar(), CultureInfo.InvariantCulture);
        // ELF's whole schema first (additive: an ELF database keeps its own objects exactly as they are), then ours.
        ElfSchema.Apply(connection, transaction);
        foreach (var migration in Schema.Migrations.Where(m => m.Version > version))
        {
            Execute(connection, migration.Sql, transaction);
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO elf_migrations(version, name, applied_at) VALUES ($v, $n, $t)";
            record.Parameters.AddWithValue("$v", migration.Version);
            record.Parameters.AddWithValue("$n", migration.Name);
            record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            record.ExecuteNonQuery();
        }
        RecordKeySchema.Apply(connection, transaction);
        transaction.Commit();
    }

    /// <summary>
    /// Stores records of any kinds in one transaction: per record, its ELF row and an outbox row holding its file's
    /// text, under a file name no other record has (ELF's stem, then <c>-2</c>, <c>-3</c> …) or, for an appending
    /// kind, at its shared file. A retried request id answers with the first record.
    /// </summary>
    /// <param name="marks">
    /// Commits whose outbox entries are marked in the same transaction (<see cref="MarkEntriesCommitted"/>): the index
    /// writer's marks that came while these inserts waited, stored with them for one commit (and one WAL fsync) instead of
    /// a transaction of their own ahead of them (docs/adr/0070). A failure fails the marks with the inserts.
    /// </param>
    public IReadOnlyList<InsertOutcome> InsertRecords(IReadOnlyList<RecordInsert> batch, DateTimeOffset now, IReadOnlyList<CommittedEntries>? marks = null)
    {
        // A savepoint per record costs two statements compiled per record (a third of the batch's time), and asking
        // first whether a request id or a file name is taken costs two queries per record, to guard against what
        // almost never happens. So the batch is tried without them first, the outbox's unique indexes on request id
        // and file name standing guard, and only a batch in which a record fails (a retried request, a name taken,
        // a bad value) is stored again, record by record, with the questions asked and under savepoints.
        _hintsChanged.Clear();
        _hintsClearedMeanwhile = false;
        _recordingHints = true;
        try
        {
            return InsertRecords(batch, now, isolate: false, marks ?? []);
        }
        catch (Exception e) when (IsRecordError(e))
        {
            // The names that attempt took were rolled back with it: hand them out again.
            _recordingHints = false;
            RestoreHints();
            return InsertRecords(batch, now, isolate: true, marks ?? []);
        }
        finally
        {
            _recordingHints = false;
            _hintsChanged.Clear();
        }
    }

    private void RestoreHints()
    {
        // Hints only save probes; with the ones from before the attempt gone, starting over from 1 is as correct.
        if (_hintsClearedMeanwhile)
        {
            _nextAttempt.Clear();
            return;
        }
        for (var i = _hintsChanged.Count - 1; i >= 0; i--)
        {
            var (stem, before) = _hintsChanged[i];
            if (before == 0) _nextAttempt.Remove(stem);
            else _nextAttempt[stem] = before;
        }
    }

    // A constraint or trigger failure, or no free name, concerns one record. Anything else (busy, I/O, a full
    // disk) escapes: the transaction is gone and the caller fails the batch.
    private static bool IsRecordError(Exception e) => e is SqliteException { SqliteErrorCode: 19 } or InvalidOperationException;

    private InsertOutcome[] InsertRecords(IReadOnlyList<RecordInsert> batch, DateTimeOffset now, bool isolate, IReadOnlyList<CommittedEntries> marks)
    {
        var outcomes = new InsertOutcome[batch.Count];
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var findRequest = Command(transaction,
            "SELECT row_id, relpath, content FROM elf_outbox WHERE request_id = $r", "$r");
        using var pathTaken = Command(transaction, "SELECT 1 FROM elf_outbox WHERE relpath = $p", "$p");
        using var statements = new RecordStatements(this, transaction, Timestamp(now));
        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            var savepoint = "r" + i.ToString(CultureInfo.InvariantCulture);
            if (isolate) transaction.Save(savepoint);
            try
            {
                if (isolate)
                {
                    findRequest.Parameters["$r"].Value = item.RequestId;
                    using var reader = findRequest.ExecuteReader();
                    if (reader.Read())
                    {
                        outcomes[i] = new InsertOutcome.Duplicate(reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
                        transaction.Release(savepoint);
                        continue;
                    }
                }
                var stored = statements.Store(item.RequestId, item.Draft, isolate ? pathTaken : null);
                if (isolate) transaction.Release(savepoint);
                outcomes[i] = new InsertOutcome.Inserted(stored.RecordId, stored.RelativePath, stored.Content);
            }
            catch (Exception e) when (isolate && IsRecordError(e))
            {
                transaction.Rollback(savepoint);
                transaction.Release(savepoint);
                outcomes[i] = new InsertOutcome.Failed(e.Message);
            }
        }
        foreach (var committed in marks) Mark(transaction, committed);
        transaction.Commit();
        return outcomes;
    }

    /// <param name="pathTaken">Asks the outbox whether a name is taken; null where its unique index on file names guards the insert instead.</param>
    private string FreePath(SqliteCommand? pathTaken, string folder, string stem)
    {
        var key = folder + stem;
        var first = _nextAttempt.GetValueOrDefault(key, 1);
        for (var attempt = first; attempt < first + MaxNameAttempts; attempt++)
        {
            var relativePath = folder + FailureMarkdown.Candidate(stem, attempt);
            if (pathTaken is not null)
            {
                pathTaken.Parameters["$p"].Value = relativePath;
                if (pathTaken.ExecuteScalar() is not null) continue;
            }
            if (File.Exists(_paths.Absolute(relativePath))) continue; // a file ELF (or a person) wrote
            if (_nextAttempt.Count >= MaxRememberedStems)
            {
                _nextAttempt.Clear(); // stems carry the date: old ones are never asked again
                _hintsClearedMeanwhile = true;
            }
            if (_recordingHints) _hintsChanged.Add((key, _nextAttempt.GetValueOrDefault(key)));
            _nextAttempt[key] = attempt + 1;
            return relativePath;
        }
        throw new InvalidOperationException($"no free file name for '{stem}' after {MaxNameAttempts} attempts");
    }

    private static string Timestamp(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Removes records of any ELF table that could not be completed (their file could not be written), rows and outbox entries together.</summary>
    public void DeleteRecords(string rowTable, IReadOnlyCollection<long> rowIds)
    {
        if (rowTable is not (OutboxTables.Learnings or OutboxTables.Heuristics or OutboxTables.Decisions))
            throw new ArgumentException($"unknown table {rowTable}", nameof(rowTable));
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var deleteOutbox = Command(transaction,
            "DELETE FROM elf_outbox WHERE row_table = $t AND row_id = $id AND commit_id IS NULL", "$t", "$id");
        using var deleteRow = Command(transaction, $"DELETE FROM {rowTable} WHERE id = $id", "$id");
        deleteOutbox.Parameters["$t"].Value = rowTable;
        foreach (var id in rowIds)
        {
            deleteOutbox.Parameters["$id"].Value = id;
            if (deleteOutbox.ExecuteNonQuery() != 1) continue;
            deleteRow.Parameters["$id"].Value = id;
            deleteRow.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>The oldest records not yet in a git commit, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<OutboxEntry> ReadPending(int limit) => ReadPendingAfter(0, limit);

    /// <summary>
    /// The oldest records not yet in a git commit but for <paramref name="skip"/> (the committer's commits whose marks are
    /// on their way), at most <paramref name="limit"/>. The skipped rows are usually the oldest pending ones: then only
    /// the rows after them are read, not their contents too (docs/adr/0058); otherwise all, and the skipped dropped.
    /// </summary>
    public IReadOnlyList<OutboxEntry> ReadPending(int limit, IReadOnlySet<long> skip) => ReadPending(limit, skip, withText: true);

    /// <summary>
    /// <see cref="ReadPending(int, IReadOnlySet{long})"/> as the committer reads it for each batch: the
    /// <see cref="OutboxEntry.Content"/> of a heuristic only (the text its shared file must hold), <b>empty for every
    /// other kind</b>, read with <see cref="ReadContent"/> where needed. A record's file is usually known complete without
    /// its text (its recorder rang), and at 5,000 records/s the pending rows' texts, read again at every batch, were a
    /// twentieth of the host's garbage (docs/adr/0076).
    /// </summary>
    public IReadOnlyList<OutboxEntry> ReadPendingToCommit(int limit, IReadOnlySet<long> skip) => ReadPending(limit, skip, withText: false);

    private IReadOnlyList<OutboxEntry> ReadPending(int limit, IReadOnlySet<long> skip, bool withText)
    {
        if (skip.Count == 0) return ReadPendingAfter(0, limit, withText);
        var highest = skip.Max();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT id FROM elf_outbox WHERE commit_id IS NULL AND id <= $highest";
            command.Parameters.AddWithValue("$highest", highest);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (!skip.Contains(reader.GetInt64(0)))
                    return ReadPendingAfter(0, limit + skip.Count, withText).Where(p => !skip.Contains(p.OutboxId)).Take(limit).ToList();
            }
        }
        return ReadPendingAfter(highest, limit, withText);
    }

    private List<OutboxEntry> ReadPendingAfter(long afterId, int limit, bool withText = true)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT row_id, kind, relpath, CASE WHEN $text OR kind = $heuristic THEN content ELSE '' END, subject, detail,
                   enqueued_at, row_table, id, record_key
            FROM elf_outbox WHERE commit_id IS NULL AND id > $after ORDER BY id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$text", withText);
        command.Parameters.AddWithValue("$heuristic", OutboxKinds.Heuristic);
        command.Parameters.AddWithValue("$after", afterId);
        command.Parameters.AddWithValue("$limit", limit);
        return ReadEntries(command);
    }

    /// <summary>Every record of this file not yet in a git commit (a shared file's entries: the committer takes all those its text holds).</summary>
    public IReadOnlyList<OutboxEntry> ReadPendingIn(string relativePath)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT row_id, kind, relpath, content, subject, detail, enqueued_at, row_table, id, record_key
            FROM elf_outbox WHERE commit_id IS NULL AND +relpath = $path ORDER BY id
            """; // the pending rows' index (what waits), not the path's (every entry the domain file ever had)
        command.Parameters.AddWithValue("$path", relativePath);
        return ReadEntries(command);
    }

    private static List<OutboxEntry> ReadEntries(SqliteCommand command)
    {
        var entries = new List<OutboxEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(new OutboxEntry(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5),
                DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
                reader.GetString(7), reader.GetInt64(8), reader.IsDBNull(9) ? null : reader.GetString(9)));
        }
        return entries;
    }

    /// <summary>A learnings row as ELF stored it, or null.</summary>
    public LearningRow? ReadLearning(long id)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, type, filepath, title, summary, tags, domain, severity, created_at FROM learnings WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetValue(i).ToString();
        return new LearningRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            Text(4), Text(5), Text(6), reader.IsDBNull(7) ? 3 : Convert.ToInt32(reader.GetValue(7), CultureInfo.InvariantCulture), Text(8));
    }

    /// <summary>The outbox entry of a learnings row: its file content and its commit (null while pending), or null if it has none.</summary>
    public (string Content, string? CommitId)? ReadOutboxEntry(long recordId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT content, commit_id FROM elf_outbox WHERE row_table = 'learnings' AND row_id = $id";
        command.Parameters.AddWithValue("$id", recordId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)) : null;
    }

    /// <summary>Queues an existing row (say, one ELF wrote before ElfActors) for a commit of its file as it is.</summary>
    public void EnqueueExisting(LearningRow row, string content, DateTimeOffset now)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var statements = new RecordStatements(this, transaction, Timestamp(now));
        statements.AddOutbox("repair-learnings-" + row.Id.ToString(CultureInfo.InvariantCulture), row.Type, OutboxTables.Learnings, row.Id,
            row.FilePath, content, row.Type + ": " + row.Title, $"Domain: {row.Domain} | Severity: {row.Severity.ToString(CultureInfo.InvariantCulture)}");
        transaction.Commit();
    }

    public long CountPending() => Scalar("SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL");

    public long CountCommitted() => Scalar("SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NOT NULL");

    /// <summary>Records that these outbox entries (by outbox id, whatever their table) are in <paramref name="commitId"/>. Idempotent.</summary>
    public void MarkEntriesCommitted(IReadOnlyCollection<long> outboxIds, string commitId, DateTimeOffset at)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        Mark(transaction, new CommittedEntries(outboxIds, commitId, at));
        transaction.Commit();
    }

    /// <summary>
    /// <see cref="MarkEntriesCommitted"/> in a transaction whose commit does not fsync the WAL (<c>PRAGMA synchronous =
    /// NORMAL</c> for it alone, then the connection's own level again, also when it fails): the WAL is written in order, so
    /// the next transaction committed with an fsync makes these marks durable too; until then an OS crash may lose them,
    /// which costs nothing: the committer finds its commits' <c>Elf-Record</c> trailers at the tip on its next start and marks
    /// them then, as after a <c>kill -9</c> between a commit and its marks (docs/adr/0065, 0073). Only for marks: a record's
    /// row is acknowledged once fsynced. Where the connection does not fsync commits anyway (NORMAL, OFF), as that.
    /// </summary>
    public void MarkEntriesCommittedWithoutSync(IReadOnlyCollection<long> outboxIds, string commitId, DateTimeOffset at)
    {
        var level = SynchronousLevel;
        if (level <= 1)
        {
            MarkEntriesCommitted(outboxIds, commitId, at);
            return;
        }
        Execute(_connection, "PRAGMA synchronous = NORMAL;");
        try
        {
            MarkEntriesCommitted(outboxIds, commitId, at);
        }
        finally
        {
            Execute(_connection, "PRAGMA synchronous = " + level.ToString(CultureInfo.InvariantCulture) + ";");
        }
    }

    /// <summary>This connection's <c>PRAGMA synchronous</c>: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.</summary>
    public long SynchronousLevel => Scalar("PRAGMA synchronous;");

    private void Mark(SqliteTransaction transaction, CommittedEntries committed)
    {
        using var mark = Command(transaction,
            "UPDATE elf_outbox SET commit_id = $commit, committed_at = $at WHERE id = $id AND commit_id IS NULL", "$commit", "$at", "$id");
        mark.Parameters["$commit"].Value = committed.CommitId;
        mark.Parameters["$at"].Value = Timestamp(committed.At);
        foreach (var id in committed.OutboxIds)
        {
            mark.Parameters["$id"].Value = id;
            mark.ExecuteNonQuery();
        }
    }

    private long Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private SqliteCommand Command(SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter(name, null));
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Stops SQLite from checkpointing the WAL inside this connection's commits: by default the commit that takes the WAL
    /// past 1,000 pages also copies them into memory/index.db and fsyncs it before it returns, so one record in about 80
    /// waited for that. The owner checkpoints with <see cref="Checkpoint"/> when nobody waits for it (docs/adr/0065).
    /// </summary>
    public void CheckpointOnlyWhenAsked() => Execute(_connection, "PRAGMA wal_autocheckpoint = 0;");

    /// <summary>
    /// Copies what the WAL holds into memory/index.db (PASSIVE: never waits for a reader or another writer; what a reader
    /// still uses is left for the next one). Returns the WAL's frames and how many of them are now in the main file.
    /// </summary>
    public (int WalFrames, int Checkpointed) Checkpoint()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt32(1), reader.GetInt32(2)) : (0, 0);
    }

    /// <summary>This connection's wal_autocheckpoint: the WAL pages at which a commit checkpoints (0: never).</summary>
    public int AutoCheckpointPages
    {
        get
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA wal_autocheckpoint;";
            return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    public void Dispose() => _connection.Dispose();
}
