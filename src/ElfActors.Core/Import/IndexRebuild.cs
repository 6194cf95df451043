using ElfActors.Core.Git;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Import;

/// <summary>What a host's start found and rebuilt (<see cref="IndexRebuild.IfMissing"/>).</summary>
public sealed record IndexRebuildReport(ReindexSummary Summary, int Queued, string? MovedAside);

/// <summary>
/// A missing or recreated index is rebuilt, never silently empty (docs/reliability.md): before a host opens
/// <c>memory/index.db</c>, an index that is absent, holds no record at all, or has no outbox entry while history has
/// ElfActors' commits, while the memory's folders hold record
/// files (a fresh clone, <c>git clean -fdx</c>, <c>rm memory/index.db*</c>, ELF's installer run again) is rebuilt from
/// the files and git history by <see cref="Reindexer"/>, ELF's rows that no file carries kept from a recreated one.
/// Records the working tree holds and the tip does not (a host stopped before it committed them, then the index
/// removed: learnings and decision files, heuristic entries in a domain file) are queued for a commit. New records then number after the rebuilt ones, and carry new record keys, which no trailer in
/// history names: none is ever taken for committed because of an old commit.
/// The caller holds the memory's host lock.
/// </summary>
public static class IndexRebuild
{
    public static IndexRebuildReport? IfMissing(MemoryPaths paths, IndexOptions options, TimeProvider clock)
    {
        var exists = File.Exists(paths.DatabasePath);
        if (exists)
        {
            // An index ElfActors has used has outbox entries; one with ELF's rows only, in a memory whose history has
            // ElfActors' commits, was recreated and written to since (by ELF's own scripts).
            var (records, outbox) = MemoryIndex.Holds(paths.DatabasePath);
            if (outbox || (records && !HistoryNamesRecords(paths))) return null;
        }
        if (!MemoryScanner.HoldsAnyRecord(paths)) return null;
        // A recreated index is moved aside (never deleted) and ELF's rows no file carries are kept from it.
        var aside = exists ? MoveAside(paths, "-recreated-", clock) : null;
        var summary = Reindexer.Run(paths, options, replaceExisting: false, clock, queueUncommitted: true);
        if (aside is not null) summary = summary with { Notes = [.. summary.Notes, .. ElfRowsCarrier.Carry(paths.DatabasePath, aside)] };
        return new IndexRebuildReport(summary, summary.Queued, aside is null ? null : Path.GetFileName(aside));
    }

    /// <summary>
    /// An index overwritten in place under a running host (docs/adr/0044), by its one writer: what is at the path (with
    /// its WAL and shared memory) is moved aside as <c>index.db-overwritten-&lt;time&gt;</c>, <paramref name="closeConnections"/>
    /// then closes the host's connections to it (SQLite neither checkpoints nor deletes the WAL of a file that has moved),
    /// and the index is rebuilt from the files and history as at start, uncommitted records of every kind queued. Nothing is
    /// carried from what was copied over it: it is another memory's, or not a database.
    /// </summary>
    public static IndexRebuildReport AfterOverwrite(MemoryPaths paths, IndexOptions options, TimeProvider clock, Action closeConnections)
    {
        var aside = File.Exists(paths.DatabasePath) ? MoveAside(paths, "-overwritten-", clock) : null;
        closeConnections();
        var summary = Reindexer.Run(paths, options, replaceExisting: false, clock, queueUncommitted: true);
        return new IndexRebuildReport(summary, summary.Queued, aside is null ? null : Path.GetFileName(aside));
    }

    /// <summary>Moves memory/index.db and its WAL and shared memory aside (never deleted); the path of the one aside.</summary>
    private static string MoveAside(MemoryPaths paths, string why, TimeProvider clock)
    {
        var aside = paths.DatabasePath + why + clock.GetUtcNow().ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            if (File.Exists(paths.DatabasePath + suffix)) File.Move(paths.DatabasePath + suffix, aside + suffix);
        return aside;
    }

    /// <summary>Whether a commit of the memory's history carries an <c>Elf-Record</c> trailer.</summary>
    private static bool HistoryNamesRecords(MemoryPaths paths)
    {
        try
        {
            return GitCli.Run(paths.BasePath, ["log", "-1", "--format=%H", "--grep=^Elf-Record: ", "--", "memory"]).Trim().Length > 0;
        }
        catch (GitStoreException)
        {
            return false; // no repository, or no commit yet
        }
    }
}
