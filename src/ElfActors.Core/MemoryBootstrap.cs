using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Core.Storage;

namespace ElfActors.Core;

/// <summary>What preparing a memory found and repaired.</summary>
public sealed record BootstrapReport(int RestoredFiles, int RemovedTempFiles, long PendingRecords);

/// <summary>
/// Makes a base folder ready before any recorder runs: folders, the git repository and its excludes, the
/// index and its migrations, and the repair of what a crash left behind (outbox rows whose file was never
/// placed get it written from the outbox; abandoned temp files are removed).
/// </summary>
public static class MemoryBootstrap
{
    /// <param name="repair">False for a cluster node joining a memory that other nodes' recorders are writing to:
    /// their rows may still wait for their files, and their temp files are still in use.</param>
    public static BootstrapReport Prepare(MemoryPaths paths, IndexOptions indexOptions, bool flushFilesToDisk, bool repair = true)
    {
        Directory.CreateDirectory(paths.FailuresDirectory);
        Directory.CreateDirectory(paths.StateDirectory);
        GitStore.EnsureRepository(paths);
        using var index = MemoryIndex.Open(paths, indexOptions);
        if (!repair) return new BootstrapReport(0, 0, index.CountPending());
        var restored = RestoreMissingFiles(index, paths, flushFilesToDisk, olderThan: null);
        var removed = RemoveTempFiles(paths.FailuresDirectory);
        return new BootstrapReport(restored, removed, index.CountPending());
    }

    /// <summary>
    /// Writes, from the outbox, the file of every pending record that has none. Only safe when no recorder that
    /// could still place that file is alive: at start-up, or for rows older than every recorder's deadline.
    /// </summary>
    public static int RestoreMissingFiles(MemoryIndex index, MemoryPaths paths, bool flushFilesToDisk, DateTimeOffset? olderThan)
    {
        var restored = 0;
        foreach (var entry in index.ReadPending(int.MaxValue))
        {
            if (olderThan is { } cutoff && entry.EnqueuedAt > cutoff) continue;
            var path = paths.Absolute(entry.RelativePath);
            if (File.Exists(path)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (AtomicFile.WriteIfAbsent(path, entry.Content, flushFilesToDisk)) restored++;
        }
        return restored;
    }

    private static int RemoveTempFiles(string directory)
    {
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, AtomicFile.TempPrefix + "*" + AtomicFile.TempSuffix))
        {
            AtomicFile.TryDelete(file);
            removed++;
        }
        return removed;
    }
}
