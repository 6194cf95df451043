using ElfActors.Core.Git;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>
/// Which file a connection has open (docs/reliability.md, "a missing or recreated index"). A person or ELF's own
/// scripts may delete or recreate <c>memory/index.db</c> while a host has it open: SQLite keeps writing to the
/// unlinked file, and everything written from then on would vanish with the host. Each index carries an identity
/// of its own (a UUIDv7 in <c>elf_state</c>, written when the file is created) and each connection remembers the
/// device and inode it opened, so the host can tell "still the file I opened", "a copy of mine" and "gone or
/// someone else's".
/// </summary>
public sealed partial class MemoryIndex
{
    internal const string IdentityState = "index_id";
    private FileStat? _openedFile;
    private string? _identity;

    /// <summary>This index's own identity (elf_state's index_id), the same in every copy of it.</summary>
    public string Identity => _identity ??= ReadState(IdentityState) ?? "";

    /// <summary>Where <see cref="MemoryIndex.Open"/> found the file: its device and inode, null off Linux.</summary>
    private void RememberOpenedFile() => _openedFile = FileStat.Of(_paths.DatabasePath);

    /// <summary>What is at memory/index.db now, compared with the file this connection has open.</summary>
    public IndexFileState FileState()
    {
        var now = FileStat.Of(_paths.DatabasePath);
        if (now is { } stat && _openedFile is { } opened && stat.Device == opened.Device && stat.Inode == opened.Inode)
            return IndexFileState.Current;
        if (!File.Exists(_paths.DatabasePath)) return IndexFileState.Lost;
        var identity = IdentityAt(_paths.DatabasePath);
        if (identity is null || identity != Identity) return IndexFileState.Lost;
        // Off Linux there is no inode to compare: a file with this identity is taken for this one.
        return _openedFile is null ? IndexFileState.Current : IndexFileState.Copy;
    }

    /// <summary>The identity the index at <paramref name="path"/> carries, or null (none, not an index, unreadable).</summary>
    internal static string? IdentityAt(string path)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 5,
            }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM elf_state WHERE name = $name";
            command.Parameters.AddWithValue("$name", IdentityState);
            return command.ExecuteScalar() as string;
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes a consistent copy of this index (what this connection sees, WAL included) to <paramref name="path"/>,
    /// through a temporary file renamed into place.
    /// </summary>
    internal void CopyTo(string path)
    {
        var temp = path + ".restoring-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" }) File.Delete(temp + suffix);
        using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp, Pooling = false }.ToString()))
        {
            copy.Open();
            _connection.BackupDatabase(copy);
            using var journal = copy.CreateCommand();
            journal.CommandText = "PRAGMA journal_mode = DELETE;";
            journal.ExecuteNonQuery();
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path);
    }
}

/// <summary>What is at memory/index.db compared with the file a connection has open.</summary>
public enum IndexFileState
{
    /// <summary>The very file the connection opened.</summary>
    Current,

    /// <summary>Another file carrying this index's identity (a restored copy): reopen it.</summary>
    Copy,

    /// <summary>No file, or one that is not this index (recreated empty, replaced by another): restore it.</summary>
    Lost,
}
