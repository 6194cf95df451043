using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>
/// Read-only connections to an index (memory/index.db, or another memory's being imported). A process killed in the
/// middle of a rollback-journal transaction leaves a hot journal (<c>index.db-journal</c>): the first connection that
/// reads must roll it back, which a read-only connection may not do (SQLite refuses every read with
/// <see cref="HotJournalErrorCode"/>, "attempt to write a readonly database"). The host writes its index in WAL mode,
/// but switching a new file to WAL writes its first page under a rollback journal: a kill -9 of a host creating a
/// memory's index leaves one (fault matrix, kill -9 rounds). A reader that meets one rolls it back once, on a
/// read-write connection (what every SQLite opener, ELF's scripts included, does), then reads read-only.
/// </summary>
public static class ReadOnlyIndex
{
    /// <summary>SQLITE_READONLY_ROLLBACK: a hot journal needs rolling back and the connection is read-only.</summary>
    public const int HotJournalErrorCode = 776;

    public static bool IsHotJournal(SqliteException e) => e.SqliteExtendedErrorCode == HotJournalErrorCode;

    /// <summary>A read-only connection to <paramref name="databasePath"/>, a hot journal rolled back first.</summary>
    public static SqliteConnection Open(string databasePath, TimeSpan? busyTimeout = null)
    {
        var connection = Connect(databasePath, SqliteOpenMode.ReadOnly, busyTimeout);
        try
        {
            // SQLite looks for a hot journal as a read transaction starts, not as the connection opens.
            FirstRead(connection);
            return connection;
        }
        catch (SqliteException e) when (IsHotJournal(e))
        {
            connection.Dispose();
        }
        RollBackHotJournal(databasePath, busyTimeout);
        var again = Connect(databasePath, SqliteOpenMode.ReadOnly, busyTimeout);
        try
        {
            FirstRead(again);
            return again;
        }
        catch
        {
            again.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="databasePath"/> read-write (never creating it) and reads once: SQLite rolls a hot journal back.</summary>
    public static void RollBackHotJournal(string databasePath, TimeSpan? busyTimeout = null)
    {
        using var writable = Connect(databasePath, SqliteOpenMode.ReadWrite, busyTimeout);
        FirstRead(writable);
    }

    private static SqliteConnection Connect(string databasePath, SqliteOpenMode mode, TimeSpan? busyTimeout)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath, Mode = mode, Pooling = false,
            DefaultTimeout = (int)Math.Ceiling((busyTimeout ?? TimeSpan.FromSeconds(30)).TotalSeconds),
        }.ToString());
        try
        {
            connection.Open();
            if (busyTimeout is { } busy)
            {
                using var pragma = connection.CreateCommand();
                pragma.CommandText = $"PRAGMA busy_timeout = {(long)busy.TotalMilliseconds}";
                pragma.ExecuteNonQuery();
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void FirstRead(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master";
        command.ExecuteScalar();
    }
}
