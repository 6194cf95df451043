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
        try
        {
            return Read(databasePath, SqliteOpenMode.ReadOnly, busyTimeout);
        }
        catch (SqliteException e) when (IsHotJournal(e))
        {
            RollBackHotJournal(databasePath, busyTimeout);
            return Read(databasePath, SqliteOpenMode.ReadOnly, busyTimeout);
        }
    }

    /// <summary>Opens <paramref name="databasePath"/> read-write (never creating it) and reads once: SQLite rolls a hot journal back.</summary>
    private static void RollBackHotJournal(string databasePath, TimeSpan? busyTimeout = null) =>
        Read(databasePath, SqliteOpenMode.ReadWrite, busyTimeout).Dispose();

    /// <summary>A connection that has read once: SQLite looks for a hot journal as a read transaction starts, not as the connection opens.</summary>
    private static SqliteConnection Read(string databasePath, SqliteOpenMode mode, TimeSpan? busyTimeout)
    {
        var connection = Connect(databasePath, mode, busyTimeout);
        try
        {
            FirstRead(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
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
