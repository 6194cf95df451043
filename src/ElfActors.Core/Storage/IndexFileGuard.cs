using System.Globalization;

namespace ElfActors.Core.Storage;

/// <summary>
/// Keeps a running host's index at its path (docs/reliability.md): when <c>memory/index.db</c> was deleted or
/// replaced under an open connection, the index writer, the one writer of acknowledged rows, puts a consistent copy
/// of the index it still has open back in place (moving a replacement aside, never deleting it) and reopens it;
/// every other connection only reopens a copy carrying the same identity. Nothing acknowledged is lost: the copy is
/// taken in the writer's own turn, between two of its transactions.
/// </summary>
public static class IndexFileGuard
{
    /// <summary>
    /// The index to use from now on: <paramref name="index"/> while it is still the file at its path, else a connection
    /// to the file there (restored first from <paramref name="index"/> if <paramref name="restore"/> and the file there is
    /// gone or another index). Returns null, having disposed nothing, when the file is lost and this caller must not restore it,
    /// and for any caller when it was overwritten in place: nothing can be copied from a connection that reads two
    /// databases; the index writer rebuilds it (IndexRebuild.AfterOverwrite, docs/adr/0044). Throws
    /// <see cref="MemoryFolderGoneException"/>, having written nothing, when the file is lost because the memory's folder
    /// itself was deleted, moved away or replaced (<paramref name="folder"/>, docs/adr/0074): the index is never put
    /// back into a folder that is not the memory the host opened.
    /// </summary>
    public static MemoryIndex? KeepAtItsPath(MemoryIndex index, MemoryPaths paths, IndexOptions options, TimeProvider clock, bool restore, Action<string> log,
        MemoryFolder? folder = null)
    {
        var state = index.FileState();
        if (state == IndexFileState.Current) return index;
        if (state == IndexFileState.Overwritten) return null;
        if (state == IndexFileState.Lost)
        {
            if (folder?.Check() is { } gone) throw new MemoryFolderGoneException(gone);
            if (!restore) return null;
            string? aside;
            try
            {
                aside = Restore(index, paths, clock);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                // The open connection still holds everything: keep writing to it, and try again before the next write.
                log("memory/index.db is gone or replaced and could not be put back yet: " + e.Message);
                return index;
            }
            log(aside is null
                ? "memory/index.db was deleted under the running host: put back from the index it had open, nothing lost"
                : $"memory/index.db was replaced by another database under the running host: that one is moved to {Path.GetFileName(aside)}, the index put back from the one the host had open, nothing lost");
        }
        else log("memory/index.db was put back by the index writer: reopened");
        index.Dispose();
        return MemoryIndex.Open(paths, options);
    }

    private static string? Restore(MemoryIndex index, MemoryPaths paths, TimeProvider clock)
    {
        var database = paths.DatabasePath;
        // A person's `git clean -fdx` removes memory/ itself while nothing in it is tracked yet.
        Directory.CreateDirectory(paths.MemoryDirectory);
        string? aside = null;
        if (File.Exists(database))
        {
            aside = database + "-replaced-" + clock.GetUtcNow().ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
            foreach (var suffix in new[] { "", "-wal", "-shm" })
                if (File.Exists(database + suffix)) File.Move(database + suffix, aside + suffix);
        }
        else
        {
            // The deleted file's WAL and shared memory, if they were left: the open connections keep their descriptors.
            foreach (var suffix in new[] { "-wal", "-shm" }) File.Delete(database + suffix);
        }
        index.CopyTo(database);
        return aside;
    }
}
