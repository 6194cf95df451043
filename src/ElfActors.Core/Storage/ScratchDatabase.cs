using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>
/// A throw-away SQLite file for the working sets of verify and reindex (docs/adr/0050, 0051): no journal, no fsync
/// (nobody else reads it, and it is deleted after), a bounded page cache, and sorts that spill to files rather than memory.
/// </summary>
internal static class ScratchDatabase
{
    /// <summary>The page cache (and its sorter's memory), KiB: a bound, whatever the memory's size.</summary>
    public const int CacheKibibytes = 8192;

    /// <summary>Opens a new scratch database at <paramref name="path"/> (a file a killed run left there is replaced).</summary>
    public static SqliteConnection Open(string path)
    {
        File.Delete(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        try
        {
            connection.Open();
            using var setup = connection.CreateCommand();
            setup.CommandText = $"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE; PRAGMA cache_size = -{CacheKibibytes};";
            setup.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            File.Delete(path);
            throw;
        }
    }
}
