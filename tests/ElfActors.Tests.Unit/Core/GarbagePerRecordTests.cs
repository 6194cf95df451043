using System.Text;
using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;

namespace ElfActors.Tests.Core;

/// <summary>
/// What the write path allocates per record where ADR 0071 cut it, counted on the calling thread
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>): bytes, not times. Each call is made once first (compiled code,
/// a pooled buffer on this thread), then counted; each result is checked against what it was before the cut.
/// </summary>
public sealed class GarbagePerRecordTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "elf-garbage-" + Guid.NewGuid().ToString("N")[..8]);

    public GarbagePerRecordTests() => Directory.CreateDirectory(_folder);

    private static long Allocated(Action action)
    {
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void A_contents_hash_does_not_copy_the_content()
    {
        var content = string.Concat(Enumerable.Repeat("A record's text, é and 构 included.\n", 2_000)); // ≈ 80 KB of UTF-8
        Assert.Equal(RecordKeys.ContentHash(Encoding.UTF8.GetBytes(content)), RecordKeys.ContentHash(content));

        var allocated = Allocated(() => RecordKeys.ContentHash(content));

        // The 40-character hex id and the hash's own state; a copy of the content would be ≥ 80 KB.
        Assert.InRange(allocated, 0, 4 * 1024);
    }

    [Fact]
    public void A_records_file_is_written_without_a_copy_of_its_bytes()
    {
        var content = string.Concat(Enumerable.Repeat("A record's text, é and 构 included.\n", 2_000));
        var n = 0;

        var allocated = Allocated(() => AtomicFile.CreateRecord(Path.Combine(_folder, $"record-{n++}.md"), content, flushToDisk: false));

        Assert.Equal(Encoding.UTF8.GetBytes(content), File.ReadAllBytes(Path.Combine(_folder, "record-1.md")));
        // The file's stream and handle and its path; the content's bytes (≥ 80 KB) come from a pool.
        Assert.InRange(allocated, 0, 16 * 1024);
    }

    [Fact]
    public void A_failures_markdown_allocates_its_text_and_not_a_builders_buffer_beside_it()
    {
        var failure = new ValidatedLearning("Lock timeout", "git", 4, "a,b", string.Concat(Enumerable.Repeat("A long summary line.\n", 500)));
        var date = new DateOnly(2026, 1, 2);
        var text = FailureMarkdown.Render(failure, date);
        Assert.StartsWith("# Lock timeout\n\n**Domain**: git\n", text);

        var allocated = Allocated(() => FailureMarkdown.Render(failure, date));

        // The string itself (2 bytes a character and its header), the severity and date texts; a new builder would add
        // a buffer as large again.
        Assert.InRange(allocated, 0, text.Length * 2 + 2 * 1024);
    }

    [Fact]
    public void A_scan_for_git_processes_does_not_read_each_processs_name_through_a_reader()
    {
        var processes = Directory.EnumerateDirectories("/proc").Count(d => char.IsAsciiDigit(Path.GetFileName(d)[0]));
        Assert.Null(GitProcesses.FirstRunningIn([_folder]));

        var allocated = Allocated(() => GitProcesses.FirstRunningIn([_folder]));

        // File.ReadAllText's reader and buffers were several KB a process; since ADR 0075 a process costs nothing
        // (GitProcessesTests checks that with more processes).
        Assert.InRange(allocated / Math.Max(1, processes), 0, 1_024);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Gits_index_is_rebuilt_per_commit_without_an_array_of_its_entries_or_a_write_buffer()
    {
        // A repository whose index holds 20,000 entries (stat-less, added with --index-info: no files needed), as the
        // failures folder of a long-running memory does; then two batches of 200 new files each, added in process.
        var repository = Path.Combine(_folder, "repo");
        Directory.CreateDirectory(repository);
        Support.Tools.Git(repository, "init", "-q");
        var listing = Path.Combine(_folder, "index-info.txt");
        File.WriteAllLines(listing, Enumerable.Range(0, 20_000).Select(i => $"100644 {i + 1:x40}\tmemory/failures/old-{i:D6}.md"));
        Assert.Equal(0, Support.Tools.Run("bash", repository, "-c", $"git update-index --index-info < '{listing}'").ExitCode);
        var appender = new IndexAppender(Path.Combine(repository, ".git"), repository);
        IReadOnlyList<IndexAddition> Batch(string name) => Enumerable.Range(0, 200).Select(i =>
        {
            var path = Path.Combine(repository, "memory", "failures", $"{name}-{i:D3}.md");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"{name} {i}\n");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1)); // not racily clean: no file read back
            return new IndexAddition($"memory/failures/{name}-{i:D3}.md", Enumerable.Repeat((byte)0xab, 20).ToArray(), FileStat.Of(path)!.Value);
        }).ToList();
        var first = Batch("first");
        var second = Batch("second");
        var third = Batch("third");
        Assert.Null(appender.TryAdd(first)); // compiled
        Assert.Null(appender.TryAdd(second)); // the appender's lists grown past this index (doubled: not again per commit)

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Null(appender.TryAdd(third));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(20_600, Support.Tools.Git(repository, "ls-files").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // The new entries' names and the files' handles and paths; the index's entries (16 bytes each: 320 KB, a
        // large object) and a 64 KB write buffer were new arrays per commit before docs/adr/0076.
        Assert.InRange(allocated, 0, 64 * 1024);
    }

    [Fact]
    public void The_committers_batch_read_of_pending_records_reads_a_heuristics_text_only()
    {
        // 300 failures of about 8 KB each, and a heuristic, pending; the committer reads them at every batch.
        using var memory = new Support.TempMemory();
        using var index = MemoryIndex.Open(memory.Paths, ElfActors.Actors.ElfSettings.Default.Index);
        var day = new DateOnly(2026, 12, 6);
        var summary = string.Concat(Enumerable.Repeat("A long summary line of a failure.\n", 240));
        var inserts = Enumerable.Range(0, 300).Select(i =>
        {
            Assert.Empty(LearningValidator.Validate(new LearningInput($"Failure {i}", "git", "high", "x", summary), out var failure));
            return new RecordInsert($"l-{i}", new LearningDraft(failure!, day));
        }).ToList();
        Assert.Empty(HeuristicValidator.Validate(new HeuristicInput("shared", "a rule", "why", null, null), out var heuristic));
        inserts.Add(new RecordInsert("h", new HeuristicDraft(heuristic!, day)));
        index.InsertRecords(inserts, DateTimeOffset.UtcNow);
        var withText = index.ReadPending(1_000);
        IReadOnlySet<long> none = new HashSet<long>();
        index.ReadPendingToCommit(1_000, none);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = index.ReadPendingToCommit(1_000, none);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(withText.Select(e => e with { Content = e.SharesFile ? e.Content : string.Empty }), read);
        var shared = Assert.Single(read, e => e.SharesFile);
        Assert.Contains("a rule", shared.Content);
        Assert.All(read.Where(e => !e.SharesFile), e => Assert.Equal(withText.Single(w => w.OutboxId == e.OutboxId).Content, index.ReadContent(e.OutboxId)));
        // The rows' other columns (paths, subjects, keys, times) and SQLite's reading: under 2 KB a record; each text
        // (8 KB of UTF-8) was 16 KB more as a string.
        Assert.InRange(allocated / read.Count, 0, 2_048);
    }
}
