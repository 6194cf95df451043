using System.Diagnostics;
using System.Text.Json;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// An auto-started host exits when nobody has asked it anything for its idle period and nothing it acknowledged waits
/// for a commit; the next command starts one again. Hosts are found in /proc, the memory read with sqlite3 and git.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class IdleExitTests(PublishedElf elf)
{
    private Task<ProcessResult> Record(string basePath, string title, IDictionary<string, string>? environment = null) =>
        elf.RunAsync(["record-failure", "--base", basePath, "--title", title, "--domain", "idle"], environment, null);

    private static async Task<TimeSpan> WaitUntilNoHostAsync(string basePath, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (PublishedElf.HostProcesses(basePath) > 0)
        {
            Assert.True(watch.Elapsed < within, $"the host for {basePath} was still running after {within}");
            await Task.Delay(100);
        }
        return watch.Elapsed;
    }

    private static string HostLog(TempMemory memory) => File.ReadAllText(Path.Combine(memory.Paths.StateDirectory, "host.log"));

    [Fact]
    public async Task An_auto_started_host_exits_after_the_memorys_idle_period_and_the_next_record_starts_one_again()
    {
        await using var served = new ServedMemory(elf);
        Directory.CreateDirectory(served.Memory.Paths.StateDirectory);
        File.WriteAllText(Path.Combine(served.Memory.Paths.StateDirectory, "elf.hocon"), "elf.host.idle-exit = 2s\n");

        var first = await Record(served.Base, "Before the idle exit");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
        var flush = await elf.RunAsync("flush", "--base", served.Base);
        Assert.True(flush.ExitCode == 0, flush.ToString());
        var lastRequest = Stopwatch.StartNew();

        await WaitUntilNoHostAsync(served.Base, TimeSpan.FromSeconds(60));

        Assert.True(lastRequest.Elapsed >= TimeSpan.FromSeconds(2), $"exited {lastRequest.Elapsed} after the last request");
        Assert.Contains("nothing pending: exiting", HostLog(served.Memory));
        Assert.Contains("every acknowledged record is committed", HostLog(served.Memory));
        Assert.Equal(3, (await elf.RunAsync("status", "--base", served.Base)).ExitCode);

        var second = await Record(served.Base, "After the idle exit");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
        Assert.True((await elf.RunAsync("flush", "--base", served.Base)).ExitCode == 0);
        Assert.Equal(2, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(0, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        Assert.Equal(2, Tools.Git(served.Base, "log", "--format=%(trailers:key=Elf-Record,valueonly)").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Empty(GitHistory.Status(served.Base));
    }

    [Fact]
    public async Task An_idle_host_with_a_record_waiting_for_a_commit_stays_until_it_is_committed_then_exits()
    {
        await using var served = new ServedMemory(elf);
        var environment = new Dictionary<string, string> { ["ELF_IDLE_EXIT"] = "1" };
        Assert.True((await Record(served.Base, "Creates the repository", environment)).ExitCode == 0);
        Assert.True((await elf.RunAsync(["flush", "--base", served.Base], environment, null)).ExitCode == 0);
        // A git that is still running (a young index.lock): the committer waits for it, the record stays pending.
        var indexLock = Path.Combine(served.Base, ".git", "index.lock");
        File.WriteAllText(indexLock, "");

        var pending = await Record(served.Base, "Waits for the lock", environment);

        Assert.True(pending.ExitCode == 0, pending.ToString());
        // Four idle periods with a record pending: the host must still be there (an observation window, not a wait for
        // something to happen).
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
        Assert.Equal(1, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        using (var status = JsonDocument.Parse((await elf.RunAsync("status", "--base", served.Base, "--json")).Stdout))
            Assert.Equal(1, status.RootElement.GetProperty("hostStatus").GetProperty("pending").GetInt64());

        File.Delete(indexLock);
        await WaitUntilNoHostAsync(served.Base, TimeSpan.FromSeconds(60));

        Assert.Equal(0, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        Assert.Contains("Waits for the lock", Tools.Git(served.Base, "log", "--format=%B"));
        Assert.Empty(GitHistory.Status(served.Base));
    }

    [Fact]
    public async Task Elf_serve_in_the_foreground_stays_up_whatever_ELF_IDLE_EXIT_says()
    {
        await using var served = new ServedMemory(elf);
        using var serve = elf.StartServe(served.Base, new Dictionary<string, string> { ["ELF_IDLE_EXIT"] = "1" });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await elf.RunAsync("status", "--base", served.Base)).ExitCode != 0)
            Assert.True(DateTime.UtcNow < deadline, "elf serve did not start serving");
        Assert.True((await Record(served.Base, "One request")).ExitCode == 0);

        // Three idle periods of $ELF_IDLE_EXIT: an observation window.
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.False(serve.HasExited);
        Assert.Equal(0, (await elf.RunAsync("status", "--base", served.Base)).ExitCode);
    }

    [Fact]
    public async Task An_invalid_ELF_IDLE_EXIT_is_refused_with_exit_2_and_the_reason()
    {
        using var memory = new TempMemory();
        var result = await RunHostAsync(memory.BasePath, "--auto-started", new Dictionary<string, string> { ["ELF_IDLE_EXIT"] = "soon" });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("$ELF_IDLE_EXIT must be a number of seconds", result.Stderr);
    }

    private async Task<ProcessResult> RunHostAsync(string basePath, string flag, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Path.Combine(elf.Directory, "elf-host"), ["serve", "--base", basePath, flag])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
