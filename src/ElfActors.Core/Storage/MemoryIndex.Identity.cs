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
    // Overwritten in place (docs/adr/0044): the main file's stat when its identity was last read there, whether this
    // index's identity was ever seen there, and the verdict once reached (it never goes back).
    private FileStat? _mainChecked;
    private bool _identitySeenInMain;
    private bool _overwritten;

    /// <summary>This index's own identity (elf_state's index_id), the same in every copy of it.</summary>
    public string Identity => _identity ??= ReadState(IdentityState) ?? "";

    /// <summary>Where <see cref="MemoryIndex.Open"/> found the file: its device and inode, null off Linux.</summary>
    private void RememberOpenedFile()
    {
        _openedFile = FileStat.Of(_paths.DatabasePath);
        if (_openedFile is null) return;
        // The identity into the main file (a new index has it in the WAL only), so that reading it there later tells
        // this index from another copied over it. Passive: a reader elsewhere only leaves it for a later checkpoint.
        try
        {
            using var checkpoint = _connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            checkpoint.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // busy: a later check sees it once SQLite's own checkpoint has run
        }
        if (FileStat.Of(_paths.DatabasePath) is { } checkpointed) OverwrittenInPlace(checkpointed);
    }

    /// <summary>What is at memory/index.db now, compared with the file this connection has open.</summary>
    public IndexFileState FileState()
    {
        var now = FileStat.Of(_paths.DatabasePath);
        if (now is { } stat && _openedFile is { } opened && stat.Device == opened.Device && stat.Inode == opened.Inode)
            return OverwrittenInPlace(stat) ? IndexFileState.Overwritten : IndexFileState.Current;
        if (!File.Exists(_paths.DatabasePath)) return IndexFileState.Lost;
        var identity = IdentityAt(_paths.DatabasePath);
        if (identity is null || identity != Identity) return IndexFileState.Lost;
        // Off Linux there is no inode to compare: a file with this identity is taken for this one.
        return _openedFile is null ? IndexFileState.Current : IndexFileState.Copy;
    }

    /// <summary>
    /// Whether the file this connection opened was overwritten in place (same inode: <c>cp other.db index.db</c>, a
    /// restore that truncates and rewrites). Only when the main file's stat changed since the last look is its identity
    /// read there, with a connection that reads the main file alone (immutable: not the WAL nor the shared memory). Our own
    /// checkpoints change the file too: another identity, or not a database, is an overwrite; no identity only once ours
    /// has been seen there; a main file SQLite finds inconsistent on its own never is (a partial checkpoint leaves it so,
    /// docs/adr/0084). A verdict of overwritten is confirmed by a second read at an unchanged stat (a checkpoint in
    /// progress can tear a read), and kept for good.
    /// </summary>
    private bool OverwrittenInPlace(FileStat stat)
    {
        if (_overwritten) return true;
        if (_mainChecked == stat) return false;
        var first = ReadMainFile(_paths.DatabasePath);
        switch (first.Read)
        {
            case MainFileRead.Identity when first.Identity == Identity:
                _identitySeenInMain = true;
                _mainChecked = stat;
                return false;
            case MainFileRead.NoIdentity when !_identitySeenInMain:
            case MainFileRead.Inconsistent:
                // Inconsistent on its own: a checkpoint that could not copy every frame (a reader's snapshot stopped it)
                // copies none of a page written again after that snapshot and leaves the file its old size, so the main
                // file is a mix of two moments until a later checkpoint completes; SQLite reads it through the WAL.
                // Only a read that is a whole database (or none) is evidence; this one is looked at again once the file changes.
                _mainChecked = stat;
                return false;
        }
        // Another's, none where ours was, or not a database: the same again after pauses at the same stat, or looked at
        // next time. A checkpoint writing into the main file (another connection's, as a verify's open runs one) tears a
        // read for as long as it writes, and the stat does not change within one clock tick: read at once again, a torn
        // read looked the same, and the index was taken for overwritten for good (its committer then waited for ever).
        for (var look = 0; look < OverwriteConfirmations; look++)
        {
            if (look > 0) Thread.Sleep(OverwriteConfirmationPause);
            BetweenOverwriteReads?.Invoke();
            if (FileStat.Of(_paths.DatabasePath) != stat || ReadMainFile(_paths.DatabasePath) != first || FileStat.Of(_paths.DatabasePath) != stat)
                return false;
        }
        _overwritten = true;
        return true;
    }

    /// <summary>How many reads after the first must agree, and the pause between them: paid only when a read disagrees.</summary>
    private const int OverwriteConfirmations = 3;

    private static readonly TimeSpan OverwriteConfirmationPause = TimeSpan.FromMilliseconds(100);

    /// <summary>For tests: run before each confirming read of a suspected overwrite (what a checkpoint finishing meanwhile does).</summary>
    internal Action? BetweenOverwriteReads { get; set; }

    /// <summary>What the main file, read alone, is.</summary>
    internal enum MainFileRead
    {
        /// <summary>A database carrying an identity (which one: beside it).</summary>
        Identity,

        /// <summary>A database without one (no elf_state, or no identity in it; an empty file is an empty database).</summary>
        NoIdentity,

        /// <summary>Not a SQLite database (SQLITE_NOTADB): its header is not one.</summary>
        NotADatabase,

        /// <summary>A SQLite header whose database SQLite finds malformed (SQLITE_CORRUPT): a file that is only whole with its WAL.</summary>
        Inconsistent,
    }

    /// <summary>The main file at <paramref name="path"/> read alone (not its WAL), and the identity it carries.</summary>
    internal static (MainFileRead Read, string? Identity) ReadMainFile(string path)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = new Uri(Path.GetFullPath(path)).AbsoluteUri + "?immutable=1",
                Mode = SqliteOpenMode.ReadOnly, Pooling = false,
            }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM elf_state WHERE name = $name";
            command.Parameters.AddWithValue("$name", IdentityState);
            return command.ExecuteScalar() is string identity ? (MainFileRead.Identity, identity) : (MainFileRead.NoIdentity, null);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 26) // SQLITE_NOTADB
        {
            return (MainFileRead.NotADatabase, null);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 11) // SQLITE_CORRUPT
        {
            return (MainFileRead.Inconsistent, null);
        }
        catch (SqliteException)
        {
            return (MainFileRead.NoIdentity, null); // no elf_state
        }
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

    /// <summary>
    /// The very file the connection opened, but overwritten in place by another database or anything else: what the
    /// connection reads is a mix of two databases, nothing can be copied from it; the index is rebuilt (docs/adr/0044).
    /// </summary>
    Overwritten,
}
