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
    /// <param name="repositoryEnsured">The caller has run <see cref="GitStore.EnsureRepository"/> already (`elf serve`, while it
    /// read its configuration: docs/adr/0053).</param>
    public static BootstrapReport Prepare(MemoryPaths paths, IndexOptions indexOptions, bool flushFilesToDisk, bool repair = true, bool repositoryEnsured = false)
    {
        var (report, index) = PrepareAndOpen(paths, indexOptions, flushFilesToDisk, repair, repositoryEnsured);
        index.Dispose();
        return report;
    }

    /// <summary>
    /// <see cref="Prepare"/>, handing the caller the index it opened (the caller disposes it): `elf serve` records on it
    /// from its socket, instead of closing it (a WAL checkpoint) and opening it again (docs/adr/0057).
    /// </summary>
    public static (BootstrapReport Report, MemoryIndex Index) PrepareAndOpen(MemoryPaths paths, IndexOptions indexOptions, bool flushFilesToDisk,
        bool repair = true, bool repositoryEnsured = false)
    {
        Directory.CreateDirectory(paths.FailuresDirectory);
        Directory.CreateDirectory(paths.StateDirectory);
        if (!repositoryEnsured) GitStore.EnsureRepository(paths);
        StartTrace.Mark("  repository");
        var index = MemoryIndex.Open(paths, indexOptions);
        try
        {
            StartTrace.Mark("  index open");
            if (!repair) return (new BootstrapReport(0, 0, index.CountPending()), index);
            var restored = RestoreMissingFiles(index, paths, flushFilesToDisk, olderThan: null);
            var removed = RecordFolders(paths).Where(Directory.Exists).Sum(RemoveTempFiles);
            return (new BootstrapReport(restored, removed, index.CountPending()), index);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes, from the outbox, the file of every pending record that has none, or whose file a power loss left
    /// torn (empty or holding NUL bytes: record files are not fsynced by default, see docs/adr/0005). Only safe
    /// when no recorder that could still place that file is alive: at start-up, or for rows older than every
    /// recorder's deadline.
    /// </summary>
    public static int RestoreMissingFiles(MemoryIndex index, MemoryPaths paths, bool flushFilesToDisk, DateTimeOffset? olderThan)
    {
        var restored = 0;
        foreach (var entry in index.ReadPending(int.MaxValue))
        {
            if (olderThan is { } cutoff && entry.EnqueuedAt > cutoff) continue;
            var path = paths.Absolute(entry.RelativePath);
            if (entry.SharesFile)
            {
                // While running, a domain file has exactly one writer, its AppendingRecorderActor: only start-up repairs it.
                if (olderThan is not null) continue;
                // A heuristic whose entry never reached its domain file (a crash between the row and the append).
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var domain = Path.GetFileNameWithoutExtension(path);
                restored += AppendOnlyFile.AppendMissing(path, Markdown.HeuristicMarkdown.FileHeader(domain), [entry.Content], flushToDisk: true);
                continue;
            }
            if (File.Exists(path))
            {
                if (!IsTorn(path, entry.Content)) continue;
                // An agent may have edited its record since: only a file no person or agent would write is replaced.
                AtomicFile.Replace(path, entry.Content, flushFilesToDisk);
                restored++;
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (AtomicFile.WriteIfAbsent(path, entry.Content, flushFilesToDisk)) restored++;
        }
        return restored;
    }

    /// <summary>Every folder ElfActors writes records to.</summary>
    public static IEnumerable<string> RecordFolders(MemoryPaths paths) =>
        Records.LearningTypes.All.Select(t => paths.Absolute(Records.LearningTypes.Folder(t)))
            .Append(paths.HeuristicsDirectory)
            .Append(paths.Absolute(Markdown.DecisionMarkdown.Folder));

    /// <summary>
    /// What a file written without fsync can look like after a power loss: empty, or with zeroed blocks; and what
    /// a recorder killed in the middle of writing it leaves: the start of its content (records are written at their
    /// final name, after the row: docs/adr/0010).
    /// </summary>
    internal static bool IsTorn(string path, string expectedContent)
    {
        var info = new FileInfo(path);
        if (info.Length == 0) return expectedContent.Length > 0;
        if (info.Length > 1_000_000) return false; // a record file an agent grew: never one we would have torn
        var bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().Contains((byte)0) && !expectedContent.Contains('\0')) return true;
        var expected = System.Text.Encoding.UTF8.GetBytes(expectedContent);
        return bytes.Length < expected.Length && expected.AsSpan().StartsWith(bytes);
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
