using System.Buffers.Binary;
using System.IO.Pipes;
using System.Text;
using System.Text.Json;
using ElfActors.Contracts.Wire;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.EndToEnd;

/// <summary>The published `elf` and `elf-host` as separate processes on temp memories, checked with sqlite3 and git.</summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class HostEndToEndTests(PublishedElf elf, ITestOutputHelper output)
{
    private static Recorded Parse(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var record = json.RootElement.GetProperty("record");
        return new Recorded(record.GetProperty("id").GetInt64(), record.GetProperty("path").GetString()!, record.GetProperty("duplicate").GetBoolean());
    }

    private Task<ProcessResult> Record(string basePath, string title, params string[] more) =>
        elf.RunAsync(["record-failure", "--base", basePath, "--title", title, "--domain", "e2e", "--json", .. more]);

    private static async Task WaitUntilServingAsync(PublishedElf elf, string basePath)
    {
        for (var i = 0; i < 300; i++)
        {
            if ((await elf.RunAsync("status", "--base", basePath)).ExitCode == 0) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the host did not start serving");
    }

    [Fact]
    public async Task Two_hundred_racing_clients_on_an_empty_memory_start_one_host_and_every_record_lands_once()
    {
        await using var served = new ServedMemory(elf);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Record(served.Base, $"Race {i}")));

        var records = results.Select(Parse).ToList();
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
        var flush = await elf.RunAsync("flush", "--base", served.Base);
        Assert.True(flush.ExitCode == 0, flush.ToString());
        Assert.Equal(200, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(200, Directory.EnumerateFiles(served.Memory.FailuresDirectory).Count());
        var commits = MemoryAssert.EveryRecordLandedExactlyOnce(served.Memory, records);
        Assert.True(commits < 200, $"{commits} commits for 200 records");

        var stop = await elf.RunAsync("stop", "--base", served.Base);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal(0, PublishedElf.HostProcesses(served.Base));
    }

    [Trait("Category", "FaultMatrix")]
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")] // Ctrl-C
    public async Task A_stop_signal_in_the_middle_of_a_load_commits_every_acknowledged_record_and_exits_0(string signal)
    {
        await using var served = new ServedMemory(elf);
        using var host = elf.StartServe(served.Base);
        await WaitUntilServingAsync(elf, served.Base);

        // 300 records from 24 clients at a time (an agent fleet's worth; 300 process starts at once on two busy cores
        // starved the host's drain past two minutes in one CI run).
        using var clients = new SemaphoreSlim(24);
        var load = Enumerable.Range(0, 300).Select(async i =>
        {
            await clients.WaitAsync();
            try { return await Record(served.Base, $"Term {i}"); }
            finally { clients.Release(); }
        }).ToList();
        await Task.WhenAny(Task.WhenAll(load), Task.Delay(300));
        var signalled = System.Diagnostics.Stopwatch.StartNew();
        Tools.Run("kill", "/", "-" + signal, host.Id.ToString());
        Assert.True(host.WaitForExit(TimeSpan.FromSeconds(120)), $"the host did not exit after SIG{signal}");
        Assert.Equal(0, host.ExitCode);
        output.WriteLine($"SIG{signal}: the host exited {signalled.Elapsed.TotalSeconds:0.0} s after the signal");

        var results = await Task.WhenAll(load);
        var acknowledged = results.Where(r => r.ExitCode == 0).Select(Parse).ToList();
        Assert.NotEmpty(acknowledged);
        // Clients that arrived while it drained went on to a new host: stop that one too, gracefully.
        await elf.RunAsync("stop", "--base", served.Base);

        var trailers = GitHistory.Log(served.Base).SelectMany(c => c.RecordTrailers).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(acknowledged, r => Assert.True(trailers.GetValueOrDefault(r.RecordId) == 1, $"record {r.RecordId} is in {trailers.GetValueOrDefault(r.RecordId)} commits"));
    }

    [Trait("Category", "FaultMatrix")]
    [Fact]
    public async Task A_second_host_on_the_same_memory_is_refused_and_the_first_keeps_serving()
    {
        await using var served = new ServedMemory(elf);
        using var first = elf.StartServe(served.Base);
        await WaitUntilServingAsync(elf, served.Base);

        var second = await elf.RunAsync(["serve", "--base", served.Base], timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already serving", second.Stderr);
        Assert.Contains($"pid {first.Id}", second.Stderr);
        Assert.False(first.HasExited);
        Parse(await Record(served.Base, "Still served"));
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
    }

    [Trait("Category", "FaultMatrix")]
    [Fact]
    public async Task Protocol_violations_get_error_replies_and_the_host_keeps_serving_others()
    {
        await using var served = new ServedMemory(elf);
        Parse(await Record(served.Base, "Start the host"));
        var pipeName = HostAddress.PipeName(new MemoryPaths(served.Base));

        async Task<WireResponse> Exchange(params byte[][] frames)
        {
            await using var pipe = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut, PipeOptions.Asynchronous);
            await pipe.ConnectAsync(5000);
            foreach (var frame in frames) await pipe.WriteAsync(frame);
            var body = await FrameCodec.ReadAsync(pipe, WireProtocol.MaxFrameBytes, new CancellationTokenSource(10_000).Token);
            return FrameCodec.DecodeResponse(body!);
        }

        static byte[] Frame(byte[] body)
        {
            var frame = new byte[4 + body.Length];
            BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
            body.CopyTo(frame, 4);
            return frame;
        }

        var huge = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(huge, int.MaxValue); // a 2 GiB length prefix
        Assert.Equal(WireProtocol.Errors.FrameTooLarge, (await Exchange(huge)).Error);
        var justOver = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(justOver, WireProtocol.MaxFrameBytes + 1);
        Assert.Equal(WireProtocol.Errors.FrameTooLarge, (await Exchange(justOver)).Error);
        Assert.Equal(WireProtocol.Errors.MalformedJson, (await Exchange(Frame("{not json"u8.ToArray()))).Error);
        Assert.Equal(WireProtocol.Errors.UnsupportedVersion, (await Exchange(Frame("""{"version":99,"command":"ping"}"""u8.ToArray()))).Error);
        Assert.Equal(WireProtocol.Errors.UnknownCommand, (await Exchange(Frame("""{"version":1,"command":"format-disk"}"""u8.ToArray()))).Error);

        // Half a frame, then gone.
        await using (var pipe = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut))
        {
            await pipe.ConnectAsync(5000);
            await pipe.WriteAsync(Frame(Encoding.UTF8.GetBytes("""{"version":1,"command":"status"}"""))[..10]);
        }

        // A malformed request does not cost the connection: the next request on it is answered.
        await using (var pipe = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut, PipeOptions.Asynchronous))
        {
            await pipe.ConnectAsync(5000);
            await pipe.WriteAsync(Frame("[]"u8.ToArray()));
            Assert.Equal(WireProtocol.Statuses.Error, FrameCodec.DecodeResponse((await FrameCodec.ReadAsync(pipe, WireProtocol.MaxFrameBytes, default))!).Status);
            await FrameCodec.WriteAsync(pipe, FrameCodec.Encode(new WireRequest { Command = WireProtocol.Commands.Ping }), default);
            Assert.Equal("pong", FrameCodec.DecodeResponse((await FrameCodec.ReadAsync(pipe, WireProtocol.MaxFrameBytes, default))!).Message);
        }

        Parse(await Record(served.Base, "Still served after the abuse"));
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
    }

    [Fact]
    public async Task Status_and_verify_print_one_json_object_and_status_never_starts_a_host()
    {
        await using var served = new ServedMemory(elf);

        var notRunning = await elf.RunAsync("status", "--base", served.Base, "--json");
        Assert.Equal(3, notRunning.ExitCode);
        Assert.False(JsonDocument.Parse(notRunning.Stdout).RootElement.GetProperty("hostStatus").GetProperty("running").GetBoolean());
        Assert.Equal(0, PublishedElf.HostProcesses(served.Base));

        Parse(await Record(served.Base, "One", "--wait-commit"));
        var status = await elf.RunAsync("status", "--base", served.Base, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var hostStatus = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("hostStatus");
        Assert.True(hostStatus.GetProperty("running").GetBoolean());
        Assert.Equal(1, hostStatus.GetProperty("committed").GetInt64());
        Assert.Equal(0, hostStatus.GetProperty("pending").GetInt64());
        Assert.Equal("idle", hostStatus.GetProperty("committerState").GetString());
        Assert.Equal(Tools.Git(served.Base, "rev-parse", "HEAD").Trim(), hostStatus.GetProperty("lastCommitId").GetString());

        var verify = await elf.RunAsync("verify", "--base", served.Base, "--json");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var result = JsonDocument.Parse(verify.Stdout).RootElement.GetProperty("verify");
        Assert.True(result.GetProperty("consistent").GetBoolean());
        Assert.Equal(1, result.GetProperty("rows").GetInt32());
    }

    [Fact]
    public async Task Wait_commit_answers_with_a_commit_that_holds_the_record()
    {
        await using var served = new ServedMemory(elf);
        var result = await Record(served.Base, "Wait for me", "--wait-commit");
        var record = Parse(result);
        var commit = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("record").GetProperty("commit").GetString()!;
        Assert.Equal("commit", Tools.Git(served.Base, "cat-file", "-t", commit).Trim());
        Assert.Contains(record.RelativePath, Tools.Git(served.Base, "show", "--name-only", "--format=", commit));
    }

    [Fact]
    public async Task Verify_lists_what_is_missing_and_repair_restores_files_and_commits_rows_missing_from_git()
    {
        await using var served = new ServedMemory(elf);
        var kept = Parse(await Record(served.Base, "Kept", "--wait-commit"));
        var lost = Parse(await Record(served.Base, "File deleted by hand", "--wait-commit"));
        // --wait-commit answers once the commit's marks are stored (ADR 0054), maybe while the committer still ends its
        // batch (it puts back a file of the commit found gone meanwhile): deleted by hand once it is over.
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        File.Delete(Path.Combine(served.Base, lost.RelativePath));
        // A record ELF's own script wrote (row and file) that never reached git.
        File.WriteAllText(Path.Combine(served.Memory.FailuresDirectory, "20250101_from-elf.md"), "# From ELF\n");
        Tools.Run("sqlite3", served.Base, served.Memory.DatabasePath,
            "INSERT INTO learnings(type, filepath, title, domain, severity) VALUES ('failure', 'memory/failures/20250101_from-elf.md', 'From ELF', 'elf', 2)");
        File.WriteAllText(Path.Combine(served.Memory.FailuresDirectory, "orphan.md"), "no row");

        var before = await elf.RunAsync("verify", "--base", served.Base, "--json");
        Assert.Equal(1, before.ExitCode);
        var report = JsonDocument.Parse(before.Stdout).RootElement.GetProperty("verify");
        Assert.Contains(lost.RelativePath, report.GetProperty("rowsWithoutFile")[0].GetString());
        Assert.Contains("20250101_from-elf.md", report.GetProperty("rowsNotInGit")[0].GetString());
        Assert.Equal("memory/failures/orphan.md", report.GetProperty("filesWithoutRow")[0].GetString());

        var repair = await elf.RunAsync("verify", "--base", served.Base, "--repair");
        Assert.Contains("rewrote " + lost.RelativePath, repair.Stdout);
        Assert.Contains("queued memory/failures/20250101_from-elf.md", repair.Stdout);
        Assert.Contains("left alone: memory/failures/orphan.md has no database row", repair.Stdout);

        Assert.True(File.Exists(Path.Combine(served.Base, lost.RelativePath)));
        Assert.Contains("memory/failures/20250101_from-elf.md", GitHistory.TrackedFiles(served.Base));
        File.Delete(Path.Combine(served.Memory.FailuresDirectory, "orphan.md"));
        var after = await elf.RunAsync("verify", "--base", served.Base);
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Empty(GitHistory.Status(served.Base));
        _ = kept;
    }

    [Fact]
    public async Task A_git_lock_held_by_another_process_is_shown_by_status_and_records_commit_once_it_is_released()
    {
        await using var served = new ServedMemory(elf);
        Parse(await Record(served.Base, "Before the lock", "--wait-commit"));
        var indexLock = Path.Combine(served.Base, ".git", "index.lock");
        File.WriteAllText(indexLock, "");

        var records = (await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Record(served.Base, $"While locked {i}")))).Select(Parse).ToList();
        ProcessResult status = null!;
        for (var i = 0; i < 100; i++)
        {
            status = await elf.RunAsync("status", "--base", served.Base);
            if (status.Stdout.Contains("waiting: .git/index.lock held since")) break;
            await Task.Delay(100);
        }
        Assert.Contains("waiting: .git/index.lock held since", status.Stdout);
        Assert.Contains("pending:       5 records", status.Stdout);

        File.Delete(indexLock);
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        Assert.Equal(6, GitHistory.Log(served.Base).SelectMany(c => c.RecordTrailers).Distinct().Count());
        Assert.Empty(GitHistory.Status(served.Base));
        _ = records;
    }

    [Fact]
    public async Task Invalid_input_exits_2_and_writes_nothing_and_environment_fallbacks_fill_the_fields()
    {
        await using var served = new ServedMemory(elf);

        var noTitle = await elf.RunAsync("record-failure", "--base", served.Base, "--domain", "d");
        Assert.Equal(2, noTitle.ExitCode);
        Assert.Contains("title", noTitle.Stderr);
        Assert.Equal(0, PublishedElf.HostProcesses(served.Base)); // refused before any host was started

        var badSeverity = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "t", "--domain", "d", "--severity", "abc");
        Assert.Equal(2, badSeverity.ExitCode);
        Assert.Contains("severity", badSeverity.Stderr);
        MemoryAssert.NothingWritten(served.Memory);

        // Invalid UTF-8 in an argument (bytes 0xFF 0xFE), through a shell as an agent's hook would pass it.
        var (invalidCode, _, invalidStderr) = Tools.Run("/bin/sh", served.Base, "-c",
            $"'{elf.Elf}' record-failure --base '{served.Base}' --title \"$(printf 'bad\\377\\376utf8')\" --domain d");
        Assert.Equal(2, invalidCode);
        Assert.Contains("not valid UTF-8", invalidStderr);
        var (invalidEnvCode, _, _) = Tools.Run("/bin/sh", served.Base, "-c",
            $"FAILURE_TITLE=\"$(printf 'env\\377')\" FAILURE_DOMAIN=d '{elf.Elf}' record-failure --base '{served.Base}'");
        Assert.Equal(2, invalidEnvCode);
        MemoryAssert.NothingWritten(served.Memory);

        var fromEnvironment = await elf.RunAsync(["record-failure", "--base", served.Base], new Dictionary<string, string>
        {
            ["FAILURE_TITLE"] = "From the environment",
            ["FAILURE_DOMAIN"] = "env",
            ["FAILURE_SEVERITY"] = "critical",
            ["FAILURE_TAGS"] = "a, b",
            ["FAILURE_SUMMARY"] = "first line\nsecond line",
        });
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.Contains("Created: memory/failures/", fromEnvironment.Stdout);
        Assert.Contains("Database record created (ID: 1)", fromEnvironment.Stdout);
        Assert.Contains("Failure recorded successfully!", fromEnvironment.Stdout);
        Assert.Equal(["From the environment", "env", "5", "a,b", "first line"],
            Tools.Sqlite(served.Memory.DatabasePath, "SELECT title, domain, severity, tags, summary FROM learnings").Single());

        // A hook's shell may send elf's output and its own to one file: elf writes at the file's shared offset, as the
        // shell's echo does, so nothing before it is overwritten (the record's lines skip System.Console, ADR 0022).
        var shared = Path.Combine(served.Base, "hook-output.txt");
        var (sharedCode, _, sharedStderr) = Tools.Run("/bin/sh", served.Base, "-c",
            $"{{ echo before; '{elf.Elf}' record-failure --base '{served.Base}' --title 'Shared output' --domain d; echo after; }} > '{shared}'");
        Assert.True(sharedCode == 0, sharedStderr);
        var lines = File.ReadAllLines(shared);
        Assert.True(lines.Length == 5, string.Join('\n', lines));
        Assert.Equal("before", lines[0]);
        Assert.StartsWith("Created: memory/failures/", lines[1]);
        Assert.Equal(["Database record created (ID: 2)", "Failure recorded successfully!", "after"], lines[2..]);
    }

    [Trait("Category", "FaultMatrix")]
    [Fact]
    public async Task A_record_folder_that_is_a_symbolic_link_is_refused_and_nothing_is_written()
    {
        // A base folder reached through a link is served (SymlinkedBaseTests); memory/ or a record folder is refused, as ELF does.
        using var memory = new TempMemory();
        using var elsewhere = new TempMemory();
        Directory.CreateDirectory(Path.Combine(memory.BasePath, "memory"));
        Directory.CreateSymbolicLink(Path.Combine(memory.BasePath, "memory/failures"), elsewhere.BasePath);
        var record = await elf.RunAsync("record-failure", "--base", memory.BasePath, "--title", "Through a link", "--domain", "d");
        Assert.Equal(1, record.ExitCode);
        Assert.Contains("symbolic link", record.Stderr);
        var serve = await elf.RunAsync("serve", "--base", memory.BasePath);
        Assert.Equal(1, serve.ExitCode);
        Assert.Contains("symbolic link", serve.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere.BasePath));
        Assert.Equal(0, PublishedElf.HostProcesses(memory.BasePath));
    }

    [Fact]
    public async Task The_same_request_id_from_two_processes_makes_one_record()
    {
        await using var served = new ServedMemory(elf);
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Record(served.Base, "Retried", "--request-id", "agent-7-attempt")));
        var records = results.Select(Parse).ToList();
        Assert.Single(records.Select(r => r.RecordId).Distinct());
        Assert.Single(records, r => !r.Duplicate);
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        MemoryAssert.EveryRecordLandedExactlyOnce(served.Memory, [records.First(r => !r.Duplicate)]);
    }

    [Theory]
    [InlineData("--no-such-option", "Unrecognized command or argument '--no-such-option'")]
    [InlineData("--cluster-port=not-a-port", "Cannot parse argument 'not-a-port' for option '--cluster-port'")]
    [InlineData("--idle-exit=-1", "--idle-exit must be a number of seconds from 0 (never) to 31536000 (got '-1')")]
    public async Task Serve_refuses_bad_input_with_exit_2_and_writes_nothing(string bad, string message)
    {
        // `serve` parses with its own verb only (docs/adr/0057): the parser's and its action's refusals are unchanged.
        using var memory = new TempMemory();
        var serve = await elf.RunAsync("serve", "--base", memory.BasePath, bad);
        Assert.Equal(2, serve.ExitCode);
        Assert.Contains(message, serve.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(memory.BasePath));
        Assert.Equal(0, PublishedElf.HostProcesses(memory.BasePath));
        var help = await elf.RunAsync("serve", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--auto-started", help.Stdout);
        Assert.Contains("--cluster-port", help.Stdout);
    }

    [Fact]
    public async Task Help_lists_every_command_of_the_contract()
    {
        var help = await elf.RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "record-failure", "status", "flush", "verify", "stop", "serve", "simulate" })
            Assert.Contains(command, help.Stdout);
        var recordHelp = await elf.RunAsync("record-failure", "--help");
        Assert.Contains("FAILURE_TITLE", recordHelp.Stdout);
        Assert.Contains("--wait-commit", recordHelp.Stdout);
    }
}
