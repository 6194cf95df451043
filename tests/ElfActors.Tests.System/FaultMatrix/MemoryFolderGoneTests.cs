using System.Diagnostics;
using System.Text;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// A running host whose memory folder is removed with `rm -rf`, moved away with `mv`, or replaced by a new memory at the
/// same path (docs/adr/0074). A real `elf serve` process; what is left is checked with the file system, sqlite3 and git.
/// The host must make nothing of the old memory again, never write into the new one, stop within seconds saying why in
/// one line, and a SIGTERM must not wait for commits that can no longer be made.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "FaultMatrix")]
public sealed class MemoryFolderGoneTests(PublishedElf elf)
{
    /// <summary>The host's own exit once it has found its folder gone: seconds (it was never, before ADR 0074).</summary>
    private static readonly TimeSpan ExitsWithin = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_host_whose_memory_folder_is_deleted_exits_says_why_and_makes_nothing_there_again()
    {
        using var root = new TempMemory();
        var memory = Path.Combine(root.BasePath, "memory-base");
        using var host = await ServeAsync(memory);
        Assert.True((await Record(memory, "Before the deletion", "--wait-commit")).ExitCode == 0);

        var rm = Tools.Run("rm", root.BasePath, "-rf", memory);

        // rm fails ("Directory not empty") when the host makes something in the folder while rm empties it.
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        Assert.True(await host.ExitedWithin(ExitsWithin), "the host was still running: " + host.Stderr);
        Assert.Equal(1, host.Process.ExitCode);
        Assert.False(Directory.Exists(memory), "the host made the deleted folder again: " + string.Join(", ", Entries(memory)));
        Assert.Matches("memory folder .* (was deleted or moved away|lost its git repository)", host.Stderr);
        Assert.Contains("this host acknowledged 1 records and committed 1", host.Stderr);
    }

    [Fact]
    public async Task A_host_whose_memory_folder_is_replaced_by_a_new_memory_never_writes_into_it_and_exits()
    {
        using var root = new TempMemory();
        var memory = Path.Combine(root.BasePath, "memory-base");
        using var host = await ServeAsync(memory);
        Assert.True((await Record(memory, "In the first memory", "--wait-commit")).ExitCode == 0);

        Assert.Equal(0, Tools.Run("rm", root.BasePath, "-rf", memory).ExitCode);
        // A new memory at the same path: another folder (inode), so `elf` starts a host of its own for it.
        var second = await Record(memory, "In the second memory", "--wait-commit");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(await host.ExitedWithin(ExitsWithin), "the first host was still running: " + host.Stderr);
        Assert.Equal(1, host.Process.ExitCode);
        var paths = new MemoryPaths(memory);
        Assert.Equal(["In the second memory"], Tools.Sqlite(paths.DatabasePath, "SELECT title FROM learnings").Select(r => r[0]));
        // The first host's index was not put back over the new one (which it would have moved aside).
        Assert.Empty(Directory.EnumerateFiles(paths.MemoryDirectory, "index.db-*-*"));
        Assert.Single(Tools.Git(memory, "log", "--format=%(trailers:key=Elf-Record,valueonly)").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("In the first memory", Tools.Git(memory, "log", "--format=%B"));
        Assert.Equal(0, Tools.Run("git", memory, "fsck", "--strict").ExitCode);
        Assert.Empty(GitHistory.Status(memory));
        Assert.True((await elf.RunAsync("stop", "--base", memory)).ExitCode == 0);
    }

    [Fact]
    public async Task A_host_whose_memory_folder_was_moved_stops_within_seconds_on_SIGTERM_and_leaves_the_moved_memory_whole()
    {
        using var root = new TempMemory();
        var (memory, moved, host) = await ServedRecordedAndMovedAsync(root);
        using var _ = host;

        var watch = Stopwatch.StartNew();
        // A host that committed just before the move may have found it by itself and stopped already (ADR 0074).
        var kill = Tools.Run("kill", root.BasePath, "-TERM", host.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(kill.ExitCode == 0 || host.Process.HasExited, "kill -TERM failed: " + kill);
        var exited = await host.ExitedWithin(TimeSpan.FromSeconds(30));

        // Before ADR 0074 the drain waited for the committer for its whole phase timeout (120 s).
        Assert.True(exited && watch.Elapsed < TimeSpan.FromSeconds(10), $"SIGTERM took {watch.Elapsed} (exited: {exited}): {host.Stderr}");
        Assert.Equal(1, host.Process.ExitCode);
        Assert.Contains("was deleted or moved away", host.Stderr);
        Assert.False(Directory.Exists(memory));
        Assert.Equal(1, Tools.SqliteScalar(new MemoryPaths(moved).DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(0, Tools.Run("git", moved, "fsck", "--strict").ExitCode);
        Assert.Empty(GitHistory.Status(moved));
    }

    [Fact]
    public async Task A_record_sent_to_a_host_whose_folder_was_moved_fails_with_the_reason_and_the_next_one_goes_to_a_new_host()
    {
        using var root = new TempMemory();
        var (memory, moved, host) = await ServedRecordedAndMovedAsync(root);
        using var _ = host;

        // The moved folder is the same folder (inode): its client reaches the host that serves it under its old path,
        // which refuses the record with the reason. Unless that host found the move first by itself (work left from
        // the last commit that looked for a file at the old path; seen on a loaded CI machine): it has then stopped
        // already, and the record starts a new host at the new path, which records it. Either way the old host stops
        // saying why, the old path is not made again, and every record that was acknowledged is in the moved memory.
        var sent = await Record(moved, "Through the new path");

        Assert.True(await host.ExitedWithin(ExitsWithin), "the host was still running: " + host.Stderr);
        Assert.Contains("was deleted or moved away", host.Stderr);
        List<string> expected = ["Before the move"];
        if (sent.ExitCode == 0) expected.Add("Through the new path");
        else
        {
            Assert.Equal(1, sent.ExitCode);
            Assert.Contains("was deleted or moved away", sent.Stderr);
        }
        Assert.False(Directory.Exists(memory), "the host made its old path again");
        var next = await Record(moved, "Through the new path, again", "--wait-commit");
        Assert.True(next.ExitCode == 0, next.ToString());
        expected.Add("Through the new path, again");
        var paths = new MemoryPaths(moved);
        Assert.Equal(expected, Tools.Sqlite(paths.DatabasePath, "SELECT title FROM learnings ORDER BY id").Select(r => r[0]));
        Assert.Equal(expected.Count, Tools.Git(moved, "log", "--format=%(trailers:key=Elf-Record,valueonly)").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Empty(GitHistory.Status(moved));
        Assert.True((await elf.RunAsync("stop", "--base", moved)).ExitCode == 0);
    }

    /// <summary>
    /// A host serving root/memory-base, one record committed ("Before the move"), then the folder moved to root/moved.
    /// An idle host is not woken by a move of its folder (nothing in it changes), though one that just committed may
    /// find it by itself.
    /// </summary>
    private async Task<(string Memory, string Moved, ServedHost Host)> ServedRecordedAndMovedAsync(TempMemory root)
    {
        var memory = Path.Combine(root.BasePath, "memory-base");
        var moved = Path.Combine(root.BasePath, "moved");
        var host = await ServeAsync(memory);
        try
        {
            Assert.True((await Record(memory, "Before the move", "--wait-commit")).ExitCode == 0);
            Directory.Move(memory, moved);
            return (memory, moved, host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private Task<ProcessResult> Record(string basePath, string title, params string[] more) =>
        elf.RunAsync(["record-failure", "--base", basePath, "--title", title, "--domain", "gone", .. more], null, null);

    private static IEnumerable<string> Entries(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories) : [];

    /// <summary>`elf serve` in the foreground, its stderr kept (its host.log is in the folder the test removes).</summary>
    private async Task<ServedHost> ServeAsync(string basePath)
    {
        var start = new ProcessStartInfo(elf.Elf) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "serve", "--base", basePath }) start.ArgumentList.Add(argument);
        var host = new ServedHost(Process.Start(start)!);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await elf.RunAsync("status", "--base", basePath)).ExitCode != 0)
            Assert.True(DateTime.UtcNow < deadline && !host.Process.HasExited, "elf serve did not start serving: " + host.Stderr);
        return host;
    }

    private sealed class ServedHost : IDisposable
    {
        private readonly StringBuilder _stderr = new();

        public ServedHost(Process process)
        {
            Process = process;
            process.ErrorDataReceived += (_, line) =>
            {
                if (line.Data is null) return;
                lock (_stderr) _stderr.AppendLine(line.Data);
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
        }

        public Process Process { get; }

        public string Stderr
        {
            get { lock (_stderr) return _stderr.ToString(); }
        }

        public async Task<bool> ExitedWithin(TimeSpan within)
        {
            using var cancellation = new CancellationTokenSource(within);
            try
            {
                await Process.WaitForExitAsync(cancellation.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}
