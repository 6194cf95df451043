using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Import;

/// <summary>What <c>elf import</c> did.</summary>
public sealed record ImportSummary(
    int Found, int Learnings, int Heuristics, int Decisions, int AlreadyPresent, int Commits, IReadOnlyList<string> Notes)
{
    /// <summary>ELF's other artefacts imported, one line per kind ("spike_reports: 2 rows", "memory/golden-rules.md: 1 file").</summary>
    public IReadOnlyList<string> Others { get; init; } = [];

    public int Imported => Learnings + Heuristics + Decisions;
}

/// <summary>Progress of a long run: records handled so far, of how many, and commits made.</summary>
public delegate void ImportProgress(int done, int total, int commits);

/// <summary>
/// Brings an existing ELF memory (its markdown files and/or its index.db) into this memory, in batches: per
/// batch, rows and outbox entries in one transaction, the files written, one git commit with a trailer per
/// record, the entries marked committed. The caller must hold the memory's host lock (no host may run): the
/// importer is then the memory's only writer. Records already here are skipped, so running it twice adds nothing.
/// What the source holds is read into a scratch database first (<see cref="ImportScratch"/>) and back one batch at a
/// time: the import holds one batch's records and texts whatever the source's size (docs/adr/0055).
/// </summary>
public static class MemoryImporter
{
    /// <summary>Records per commit unless asked otherwise: more when the memory is large (<see cref="BatchSizeFor"/>).</summary>
    public const int DefaultBatchSize = 500;

    /// <summary>
    /// Records read with their texts, stored (one transaction) and written at a time, whatever a commit holds: a commit of
    /// a large import holds N/100 records (<see cref="BatchSizeFor"/>), and of each only what its message needs is kept.
    /// </summary>
    public const int RecordsStoredAtOnce = DefaultBatchSize;

    /// <summary>At most this many commits for a large memory when no batch size is asked for.</summary>
    public const int MostCommits = 100;

    /// <summary>
    /// Records per commit for an import of <paramref name="records"/> records: <see cref="DefaultBatchSize"/>, or enough to
    /// need at most <see cref="MostCommits"/> commits. Every commit writes the tree of <c>memory/failures/</c> with every
    /// file so far (ELF's flat folder), so commits of a fixed size make an import quadratic in the memory's size; with
    /// their number bounded it is linear (docs/adr/0052).
    /// </summary>
    public static int BatchSizeFor(int records) => Math.Max(DefaultBatchSize, (records + MostCommits - 1) / MostCommits);

    /// <param name="batchSize">Records per commit; null: <see cref="BatchSizeFor"/> the number of records found.</param>
    public static ImportSummary Run(MemoryPaths source, MemoryPaths target, IndexOptions options, bool flushFilesToDisk,
        int? batchSize, TimeProvider clock, ImportProgress? progress = null) =>
        Run(source, target, options, flushFilesToDisk, batchSize, clock, progress, RecordsStoredAtOnce);

    /// <param name="recordsStoredAtOnce">The window (<see cref="RecordsStoredAtOnce"/>); tests make it smaller than a commit.</param>
    internal static ImportSummary Run(MemoryPaths source, MemoryPaths target, IndexOptions options, bool flushFilesToDisk,
        int? batchSize, TimeProvider clock, ImportProgress? progress, int recordsStoredAtOnce)
    {
        if (!Directory.Exists(source.BasePath)) throw new ArgumentException($"{source.BasePath} does not exist");
        if (!Directory.Exists(source.MemoryDirectory))
            throw new ArgumentException($"{source.BasePath} is not an ELF base folder: it has no memory/ folder");
        if (string.Equals(source.BasePath.TrimEnd('/'), target.BasePath.TrimEnd('/'), StringComparison.Ordinal))
            throw new ArgumentException("the folder to import is this memory itself; use `elf reindex` to rebuild its index");

        using var scratch = ScanInto(source, target, out var skipped);
        var found = scratch.Count;
        MemoryBootstrap.Prepare(target, options, flushFilesToDisk);
        Directory.CreateDirectory(target.HeuristicsDirectory);
        Directory.CreateDirectory(target.DecisionsDirectory);

        using var index = MemoryIndex.Open(target, options);
        using var git = new GitStore(target);
        int learnings = 0, heuristics = 0, decisions = 0, done = 0, commits = 0;
        progress?.Invoke(0, found, 0);
        var perCommit = Math.Max(1, batchSize ?? BatchSizeFor(found));
        using var records = scratch.Records().GetEnumerator();
        var more = records.MoveNext();
        while (more)
        {
            // A commit's records are stored and their files written a window at a time; what the commit needs of each
            // (its path and trailer; an entry of a shared file its text, for its hash) is all that is kept until it is made.
            var stored = new List<OutboxEntry>();
            var taken = 0;
            while (more && taken < perCommit)
            {
                var window = new List<object>();
                for (; more && taken < perCommit && window.Count < recordsStoredAtOnce; taken++, more = records.MoveNext())
                    window.Add(records.Current is LearningRecord learning ? MemoryScanner.WithContent(source, learning) : records.Current);
                var entries = index.ImportRecords(window, clock.GetUtcNow());
                WriteFiles(target, entries, flushFilesToDisk);
                stored.AddRange(entries.Select(e => e.SharesFile ? e : e with { Content = string.Empty }));
            }
            if (stored.Count > 0)
            {
                var commit = CommitWithRetry(git, stored);
                index.MarkEntriesCommitted(stored.Select(s => s.OutboxId).ToList(), commit, clock.GetUtcNow());
                commits++;
                learnings += stored.Count(s => s.RowTable == OutboxTables.Learnings);
                heuristics += stored.Count(s => s.RowTable == OutboxTables.Heuristics);
                decisions += stored.Count(s => s.RowTable == OutboxTables.Decisions);
            }
            done += taken;
            progress?.Invoke(done, found, commits);
        }
        var others = ElfArtefactImporter.Run(source, target, git);
        return new ImportSummary(found, learnings, heuristics, decisions, found - learnings - heuristics - decisions,
            commits + others.Commits, skipped.Concat(others.Notes).ToList()) { Others = others.Imported };
    }

    /// <summary>
    /// The source read into a new scratch database in <paramref name="target"/>'s memory folder. A source that cannot be read
    /// leaves the target as it was: the scratch database deleted, and the memory folder too when the import made it.
    /// </summary>
    private static ImportScratch ScanInto(MemoryPaths source, MemoryPaths target, out IReadOnlyList<string> skipped)
    {
        var memoryFolderExisted = Directory.Exists(target.MemoryDirectory);
        var scratch = ImportScratch.Create(target);
        try
        {
            skipped = scratch.Scan(source);
            return scratch;
        }
        catch
        {
            scratch.Dispose();
            if (!memoryFolderExisted && !Directory.EnumerateFileSystemEntries(target.MemoryDirectory).Any()) Directory.Delete(target.MemoryDirectory);
            throw;
        }
    }

    private static void WriteFiles(MemoryPaths target, IReadOnlyList<OutboxEntry> stored, bool flushFilesToDisk)
    {
        foreach (var entry in stored.Where(s => !s.SharesFile))
        {
            var path = target.Absolute(entry.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteIfAbsent(path, entry.Content, flushFilesToDisk);
        }
        foreach (var file in stored.Where(s => s.SharesFile).GroupBy(s => s.RelativePath))
        {
            var domain = Path.GetFileNameWithoutExtension(file.Key);
            AppendOnlyFile.AppendMissing(target.Absolute(file.Key), HeuristicMarkdown.FileHeader(domain), file.Select(f => f.Content).ToList(), flushFilesToDisk);
        }
    }

    private static string CommitWithRetry(GitStore git, IReadOnlyList<OutboxEntry> stored)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return git.CommitFiles(stored.Select(s => s.RelativePath).ToList(), CommitMessage.For(stored));
            }
            catch (GitStoreException e) when (e is GitLockHeldException or PersonGitRunningException or GitIndexChangingException && attempt < 40)
            {
                Thread.Sleep(250); // another git process (a person's) holds a lock: wait for it
            }
        }
    }
}
