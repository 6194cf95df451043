using ElfActors.Core.Records.Kinds;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ElfActors.Benchmarks.Compare;
using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;

namespace ElfActors.Benchmarks;

/// <summary>
/// What each stage of the write path costs per record, one stage at a time on one thread, through the same
/// Core code the actors call: the record file (written at its reserved name, optional fsync), the index transaction (group
/// commit) and the git commit of a batch, at 0 and N files already tracked.
/// </summary>
internal static class StagesBenchmark
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "Records per index transaction and per git commit.", DefaultValueFactory = _ => 500 };
        var batches = new Option<int>("--batches") { Description = "Batches per stage.", DefaultValueFactory = _ => 4 };
        var repoFiles = new Option<int>("--repo-files") { Description = "Files already tracked for the git stage's second run.", DefaultValueFactory = _ => 100_000 };
        var command = new Command("stages", "Per-record cost of each stage of the write path (file, index, git commit).") { batch, batches, repoFiles };
        command.SetAction(parse => Run(parse.GetValue(batch), parse.GetValue(batches), parse.GetValue(repoFiles)));
        return command;
    }

    private static int Run(int batchSize, int batches, int repoFiles)
    {
        var work = Path.Combine(Path.GetTempPath(), "elf-stages-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var repositories = new Repositories(work);
            var n = batchSize * batches;
            var inserts = Enumerable.Range(0, n).Select(i => Insert(i)).ToArray();
            Console.WriteLine($"Stages: {batches} batches of {batchSize} records, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine();
            Console.WriteLine("| stage | ms per record | ms per batch |");
            Console.WriteLine("| --- | ---: | ---: |");

            foreach (var fsync in new[] { true, false })
            {
                var paths = new MemoryPaths(repositories.Fresh(0, $"files-{fsync}"));
                Directory.CreateDirectory(paths.FailuresDirectory);
                var elapsed = Time(() =>
                {
                    // What a recorder does once the row is stored (docs/adr/0010).
                    foreach (var insert in inserts)
                        AtomicFile.CreateRecord(paths.Absolute(RelativePath(insert)), insert.Draft.Render(0), fsync);
                });
                Row($"record file: at its reserved name, {(fsync ? "fsync" : "no fsync")}", elapsed, n, batchSize);
            }

            foreach (var synchronous in new[] { SynchronousMode.Full, SynchronousMode.Normal })
            {
                var paths = new MemoryPaths(repositories.Fresh(0, $"index-{synchronous}"));
                using var index = MemoryIndex.Open(paths, ElfActors.Actors.ElfSettings.Default.Index with { Synchronous = synchronous });
                var elapsed = Time(() =>
                {
                    for (var b = 0; b < batches; b++) index.InsertRecords(inserts.AsSpan(b * batchSize, batchSize).ToArray(), DateTimeOffset.UtcNow);
                });
                Row($"index: row + outbox, one transaction per batch (synchronous={synchronous})", elapsed, n, batchSize);
                // What the committer asks the index per batch: its pending records, then (through the index writer) marks them.
                var read = Time(() => { for (var b = 0; b < batches; b++) index.ReadPending(batchSize); });
                Row($"  committer: ReadPending of a batch (synchronous={synchronous})", read, n, batchSize);
                var mark = Time(() =>
                {
                    for (var b = 0; b < batches; b++)
                        index.MarkEntriesCommitted(index.ReadPending(batchSize).Select(p => p.OutboxId).ToList(), "0000000000000000000000000000000000000000", DateTimeOffset.UtcNow);
                });
                Row($"  committer: ReadPending + MarkEntriesCommitted of a batch (synchronous={synchronous})", mark, n, batchSize);
            }

            {
                // HoldReason's scan for a person's git before a batch (docs/adr/0018): every /proc/<pid>/comm read, the
                // cache of a scan that found nothing switched off. Its cost grows with the machine's process count.
                var person = new PersonGit(work) { CacheFor = TimeSpan.Zero };
                var processes = Directory.EnumerateDirectories("/proc").Count(d => char.IsAsciiDigit(Path.GetFileName(d)[0]));
                const int scans = 200;
                var elapsed = Time(() => { for (var i = 0; i < scans; i++) person.Running(); });
                Row(string.Create(CultureInfo.InvariantCulture, $"HoldReason's /proc scan for a person's git, uncached ({processes} processes; per batch = per scan)"), elapsed, scans, 1);
                HoldCheckBetweenCommits(repositories, inserts, processes);
            }

            foreach (var files in new[] { 0, repoFiles })
            {
                var paths = new MemoryPaths(repositories.Fresh(files, $"git-{files}"));
                Directory.CreateDirectory(paths.FailuresDirectory);
                var relative = inserts.Select(RelativePath).ToArray();
                for (var i = 0; i < n; i++) File.WriteAllText(paths.Absolute(relative[i]), inserts[i].Draft.Render(0));
                using var git = new GitStore(paths);
                var elapsed = Time(() =>
                {
                    for (var b = 0; b < batches; b++) git.CommitFiles(relative.AsSpan(b * batchSize, batchSize).ToArray(), $"records batch {b}");
                });
                Row(string.Create(CultureInfo.InvariantCulture, $"git: CommitFiles ({files:N0} files tracked)"), elapsed, n, batchSize);
                var indexOnly = Time(() => GitCli.Run(paths.BasePath, ["update-index", "--add", "-z", "--stdin"], relative[0] + "\0"));
                Row(string.Create(CultureInfo.InvariantCulture, $"  of which one `git update-index` ({files:N0} files tracked)"), indexOnly, batchSize, batchSize);
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// The person-git check as the committer makes it, once before each commit of a small batch (docs/adr/0040): a scan
    /// trusted for 25 ms (before) against one trusted while the git folder shows nothing but the committer's own commits
    /// (after, the committer's setting), interleaved, both around the same commits. Per check: median, p90, and scans made.
    /// </summary>
    private static void HoldCheckBetweenCommits(Repositories repositories, RecordInsert[] inserts, int processes)
    {
        const int perCommit = 20;
        var paths = new MemoryPaths(repositories.Fresh(0, "hold"));
        Directory.CreateDirectory(paths.FailuresDirectory);
        using var git = new GitStore(paths);
        var gitDirectory = Path.Combine(paths.BasePath, ".git");
        var before = new PersonGit(paths.BasePath);
        var after = new PersonGit(paths.BasePath, gitDirectory) { TrustUnchangedFor = TimeSpan.FromSeconds(1) };
        var times = (Before: new List<double>(), After: new List<double>());
        for (var b = 0; b + perCommit <= inserts.Length; b += perCommit)
        {
            var batch = inserts.AsSpan(b, perCommit).ToArray().Select(RelativePath).ToArray();
            foreach (var (file, insert) in batch.Zip(inserts.AsSpan(b, perCommit).ToArray())) File.WriteAllText(paths.Absolute(file), insert.Draft.Render(0));
            // Alternate which goes first, so that neither always reads /proc just after the other warmed it.
            var first = (b / perCommit) % 2 == 0;
            var order = first ? new[] { (before, times.Before), (after, times.After) } : new[] { (after, times.After), (before, times.Before) };
            foreach (var (person, list) in order)
            {
                var started = Stopwatch.GetTimestamp();
                person.Running();
                list.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            git.CommitFiles(batch, $"records {b}");
            after.OwnWritesDone();
        }
        foreach (var (name, list, person) in new[] { ("25 ms cache (before)", times.Before, before), ("trusted while unchanged (after)", times.After, after) })
        {
            list.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| HoldReason's person-git check before a commit of {perCommit}, {name}: {list.Count} checks, {person.Scans} scans ({processes} processes) | – | median {list[list.Count / 2]:0.000}, p90 {list[list.Count * 9 / 10]:0.000} |"));
        }
    }

    private static string RelativePath(RecordInsert insert) => insert.Draft.File is RecordFile.Own own ? own.Folder + own.Stem + ".md" : throw new InvalidOperationException();

    private static RecordInsert Insert(int i)
    {
        LearningValidator.Validate(new LearningInput($"Stage probe {i}", "bench", "3", "bench", "A record for the stage probe."), out var failure);
        var date = DateOnly.FromDateTime(DateTime.Now);
        return new RecordInsert($"stage-{i}", new LearningDraft(failure!, date));
    }

    private static TimeSpan Time(Action action)
    {
        var started = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(started);
    }

    private static void Row(string stage, TimeSpan elapsed, int records, int batchSize) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {stage} | {elapsed.TotalMilliseconds / records:0.000} | {elapsed.TotalMilliseconds / records * batchSize:0.0} |"));
}
