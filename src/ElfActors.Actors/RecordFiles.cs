using ElfActors.Core;
using ElfActors.Core.Files;
using ElfActors.Core.Storage;

namespace ElfActors.Actors;

/// <summary>
/// Where the recorders put a stored record's file, whichever kind of record it is. Each returns why the file cannot
/// be written, or null once it is in place.
/// </summary>
public static class RecordFiles
{
    /// <summary>A new record's file, written once at the name its row reserved (ADR 0010), into one of <paramref name="pool"/>'s files when it has one (ADR 0080).</summary>
    public static string? Create(MemoryPaths paths, bool flushToDisk, InsertOutcome.Inserted inserted, RecordFilePool? pool = null) =>
        Write(paths, inserted.RelativePath, path => AtomicFile.CreateRecord(path, inserted.Content, flushToDisk, pool));

    /// <summary>For a retried request: the first record's file, put back if a crash lost it.</summary>
    public static string? RestoreIfLost(MemoryPaths paths, bool flushToDisk, InsertOutcome.Duplicate duplicate) =>
        Write(paths, duplicate.RelativePath, path => AtomicFile.WriteIfAbsent(path, duplicate.Content, flushToDisk));

    private static string? Write(MemoryPaths paths, string relativePath, Action<string> write)
    {
        try
        {
            write(paths.Absolute(relativePath));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot place {relativePath}: {e.Message}";
        }
    }
}
