using System.Text;
using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
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
}
