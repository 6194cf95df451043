using System.Diagnostics;
using System.Net.Sockets;
using ElfActors.Contracts.Wire;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// The host's endpoint belongs to its user alone (docs/security.md): the published `elf` and `elf-host` as separate
/// processes, each test with a runtime folder of its own ($XDG_RUNTIME_DIR), modes and owners read from the file
/// system with stat(1), not through ElfActors.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class EndpointTests(PublishedElf elf, ITestOutputHelper output)
{
    [Fact]
    public async Task Started_under_umask_000_the_folder_is_0700_and_the_socket_lock_and_pid_record_0600()
    {
        await using var runtime = new PrivateRuntime(elf);
        var result = await runtime.RunUnderUmaskAsync("000", "record-failure", "--base", runtime.Base, "--title", "Umask zero", "--domain", "modes");
        Assert.True(result.ExitCode == 0, result.ToString());

        var folder = Path.Combine(runtime.Xdg, "elf");
        Assert.Equal("700 directory", Stat(folder));
        var key = HostAddress.Key(new MemoryPaths(runtime.Base));
        Assert.Equal("600 socket", Stat(Path.Combine(folder, key + ".sock")));
        Assert.Equal("600 regular empty file", Stat(Path.Combine(folder, key + ".lock")));
        Assert.Equal("600 regular file", Stat(Path.Combine(folder, key + ".pid")));
        // What the host writes into the memory follows ELF's umask 0077 (scripts/record-failure.sh), not the caller's.
        Assert.Equal("600 regular file", Stat(Path.Combine(runtime.Base, "memory", "index.db")));
        Assert.Equal("700 directory", Stat(Path.Combine(runtime.Base, "memory", "failures")));
        var recordFile = Directory.GetFiles(Path.Combine(runtime.Base, "memory", "failures")).Single();
        Assert.Equal("600 regular file", Stat(recordFile));
        // Nothing of the host's runtime state is left in the working tree for `git clean -fdx` to remove.
        Assert.False(File.Exists(Path.Combine(runtime.Base, "memory", ".elf", "host.lock")));
        output.WriteLine($"{folder}: {Stat(folder)}; socket {Stat(Path.Combine(folder, key + ".sock"))}");
    }

    [Theory]
    [InlineData("file")]
    [InlineData("folder")]
    [InlineData("symlink")]
    [InlineData("foreign socket")]
    public async Task Something_else_at_the_socket_path_is_named_within_5_s_and_left_alone(string squatter)
    {
        if (squatter == "foreign socket" && !RootFactAttribute.IsRoot)
        {
            output.WriteLine("skipped: a socket of another user's needs root to make (chown)");
            return;
        }
        await using var runtime = new PrivateRuntime(elf);
        var paths = new MemoryPaths(runtime.Base);
        var socketPath = runtime.SocketPath;
        Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var listener = squatter == "foreign socket" ? runtime.ListenAtTheSocketPath() : null;
        switch (squatter)
        {
            case "file": await File.WriteAllTextAsync(socketPath, "squatted"); break;
            case "folder": Directory.CreateDirectory(socketPath); break;
            case "symlink": File.CreateSymbolicLink(socketPath, runtime.Base); break;
            default:
                Assert.Equal(0, Tools.Run("chown", "/", "65534:65534", socketPath).ExitCode);
                break;
        }
        var before = Stat(socketPath);

        var clock = Stopwatch.StartNew();
        var result = await runtime.RunAsync("record-failure", "--base", runtime.Base, "--title", "Squatted", "--domain", "squat");
        output.WriteLine($"{squatter}: {clock.ElapsedMilliseconds} ms, {result}");
        Assert.Equal(3, result.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Contains(socketPath, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack frame
        Assert.DoesNotContain("System.", result.Stderr);
        Assert.Matches("request id [0-9a-f]{32}; retry with --request-id [0-9a-f]{32}", result.Stderr);
        Assert.Equal(before, Stat(socketPath)); // not ours: never removed
        Assert.Equal(0, PublishedElf.HostProcesses(paths.BasePath));
    }

    [Fact]
    public async Task A_host_refuses_a_socket_another_process_of_the_user_listens_on_and_names_it()
    {
        await using var runtime = new PrivateRuntime(elf);
        using var listener = runtime.ListenAtTheSocketPath();

        var clock = Stopwatch.StartNew();
        var serve = await runtime.RunAsync(["serve", "--base", runtime.Base], TimeSpan.FromSeconds(60));
        output.WriteLine($"{clock.ElapsedMilliseconds} ms: {serve}");
        Assert.Equal(1, serve.ExitCode);
        Assert.Contains($"{runtime.SocketPath} is a live socket of another process (pid {Environment.ProcessId}", serve.Stderr);
        Assert.DoesNotContain("   at ", serve.Stderr);
        Assert.EndsWith(" socket", Stat(runtime.SocketPath)); // theirs: left where it is
        Assert.Equal(0, PublishedElf.HostProcesses(runtime.Base));
    }

    [Fact]
    public async Task A_dead_hosts_socket_is_replaced()
    {
        await using var runtime = new PrivateRuntime(elf);
        Assert.Equal(0, (await runtime.RecordAsync("Before the kill")).ExitCode);
        var pid = int.Parse(File.ReadAllText(runtime.PidFile).Trim());
        Assert.Equal(0, Tools.Run("kill", "/", "-9", pid.ToString()).ExitCode);
        await WaitUntilAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(10));
        Assert.Equal("600 socket", Stat(runtime.SocketPath)); // left behind by kill -9

        await RecordsWithOneHostAsync(runtime, "After the kill");
    }

    [Fact]
    public async Task A_host_whose_socket_was_removed_is_found_by_status_binds_it_again_and_stops()
    {
        await using var runtime = new PrivateRuntime(elf);
        Assert.Equal(0, (await runtime.RecordAsync("Before the removal")).ExitCode);
        File.Delete(runtime.SocketPath);

        var status = await runtime.RunAsync("status", "--base", runtime.Base);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("running: pid", status.Stdout);
        Assert.Equal("600 socket", Stat(runtime.SocketPath));

        File.Delete(runtime.SocketPath);
        var clock = Stopwatch.StartNew();
        var stop = await runtime.RunAsync("stop", "--base", runtime.Base);
        output.WriteLine($"stop after the socket's removal: {clock.ElapsedMilliseconds} ms, {stop}");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal(0, PublishedElf.HostProcesses(runtime.Base));
    }

    [Fact]
    public async Task With_no_host_status_fails_within_2_s_with_exit_3()
    {
        await using var runtime = new PrivateRuntime(elf);
        Directory.CreateDirectory(runtime.Base);
        var clock = Stopwatch.StartNew();
        var status = await runtime.RunAsync("status", "--base", runtime.Base);
        Assert.Equal(3, status.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
        Assert.Contains("not running", status.Stdout);
    }

    [Fact]
    public async Task A_second_host_is_refused_through_a_symlinked_path()
    {
        await using var runtime = new PrivateRuntime(elf);
        Assert.Equal(0, (await runtime.RecordAsync("First host")).ExitCode);
        var link = runtime.Base + "-parent-link";
        File.CreateSymbolicLink(link, Path.GetDirectoryName(runtime.Base)!);
        try
        {
            var viaLink = Path.Combine(link, Path.GetFileName(runtime.Base));
            var second = await runtime.RunAsync(["serve", "--base", viaLink], TimeSpan.FromSeconds(60));
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("already serving", second.Stderr);
            // The client through the link reaches the one host, too.
            var status = await runtime.RunAsync("status", "--base", viaLink);
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Equal(1, PublishedElf.HostProcesses(runtime.Base));
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public async Task Git_clean_fdx_while_the_host_runs_leaves_its_lock_and_a_second_host_is_refused()
    {
        await using var runtime = new PrivateRuntime(elf);
        Assert.Equal(0, (await runtime.RecordAsync("Before the clean")).ExitCode);
        Tools.Git(runtime.Base, "clean", "-fdxq");
        Assert.True(File.Exists(runtime.PidFile));
        var second = await runtime.RunAsync(["serve", "--base", runtime.Base], TimeSpan.FromSeconds(60));
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already serving", second.Stderr);
        Assert.Equal(1, PublishedElf.HostProcesses(runtime.Base));
    }

    [Fact]
    public async Task A_flood_of_1000_hostile_connections_leaves_the_host_serving_records()
    {
        await using var runtime = new PrivateRuntime(elf);
        Assert.Equal(0, (await runtime.RecordAsync("Before the flood")).ExitCode);
        var endpoint = new UnixDomainSocketEndPoint(runtime.SocketPath);
        var kinds = new[] { "garbage", "half-open", "idle", "oversized", "connect-and-close" };
        var held = new List<Socket>();
        var clock = Stopwatch.StartNew();
        try
        {
            var flood = Enumerable.Range(0, 1000).Select(async i =>
            {
                var socket = await ConnectAsync(endpoint);
                switch (kinds[i % kinds.Length])
                {
                    case "garbage": await socket.SendAsync(Enumerable.Range(0, 64).Select(b => (byte)(b * 37 + i)).ToArray()); break;
                    case "half-open": await socket.SendAsync(new byte[] { 0x10, 0x00 }); break;
                    case "oversized": await socket.SendAsync(BitConverter.GetBytes(int.MaxValue)); break;
                    case "connect-and-close": socket.Dispose(); return null;
                }
                return socket;
            }).ToList();
            foreach (var socket in await Task.WhenAll(flood))
                if (socket is not null) held.Add(socket);
            output.WriteLine($"1000 connections opened in {clock.ElapsedMilliseconds} ms; {held.Count} held open");

            var during = Stopwatch.StartNew();
            var record = await runtime.RecordAsync("During the flood");
            output.WriteLine($"a record during the flood: {during.ElapsedMilliseconds} ms");
            Assert.True(record.ExitCode == 0, record.ToString());
        }
        finally
        {
            foreach (var socket in held) socket.Dispose();
        }
        var after = await runtime.RecordAsync("After the flood");
        Assert.True(after.ExitCode == 0, after.ToString());
        var status = await runtime.RunAsync("status", "--base", runtime.Base);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal(1, PublishedElf.HostProcesses(runtime.Base));
    }

    [RootFact]
    public async Task Another_user_reaching_the_socket_is_refused_by_its_credentials_and_the_host_keeps_serving()
    {
        await using var runtime = new PrivateRuntime(elf);
        Assert.Equal(0, (await runtime.RecordAsync("Before nobody")).ExitCode);

        // The 0700 folder and the 0600 socket already keep `nobody` out. To prove the host's own check (SO_PEERCRED),
        // give nobody a way in that the file system allows: a hard link to the live socket, in nobody's own runtime
        // folder under the name nobody's `elf` computes, with the socket owned by nobody. Then nobody's connect()
        // succeeds, and only the host's credential check stands between nobody and the memory.
        const uint nobody = 65534;
        var nobodyXdg = Path.Combine(Path.GetTempPath(), "elf-nobody-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(nobodyXdg, "elf"));
        Assert.Equal(0, Tools.Run("chown", "/", "-R", "65534:65534", nobodyXdg).ExitCode);
        Assert.Equal(0, Tools.Run("chmod", "/", "-R", "700", nobodyXdg).ExitCode);
        var nobodySocket = Path.Combine(nobodyXdg, "elf", HostAddress.Key(new MemoryPaths(runtime.Base), nobody) + ".sock");
        try
        {
            Assert.Equal(0, Tools.Run("ln", "/", runtime.SocketPath, nobodySocket).ExitCode);
            Assert.Equal(0, Tools.Run("chown", "/", "65534:65534", runtime.SocketPath).ExitCode);
            for (var i = 0; i < 10; i++)
            {
                var refused = Tools.Run("setpriv", "/", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "env", "HOME=/nonexistent", "XDG_RUNTIME_DIR=" + nobodyXdg, elf.Elf, "status", "--base", runtime.Base);
                if (i == 0) output.WriteLine($"nobody's status: exit {refused.ExitCode}: {refused.Stdout.Trim()} {refused.Stderr.Trim()}");
                Assert.Equal(3, refused.ExitCode);
                Assert.DoesNotContain("pending:", refused.Stdout);
            }
        }
        finally
        {
            Tools.Run("chown", "/", "0:0", runtime.SocketPath);
            Tools.Run("rm", "/", "-rf", nobodyXdg);
        }
        // The host's logger writes from a queue of its own: on a loaded machine its line may follow nobody's exit.
        var hostLog = Path.Combine(runtime.Base, "memory", ".elf", "host.log");
        int Refusals() => File.ReadAllText(hostLog).Split('\n').Count(l => l.Contains($"Refused a connection from uid {nobody}"));
        try { await WaitUntilAsync(() => Refusals() > 0, TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { }
        output.WriteLine(string.Join('\n', File.ReadAllText(hostLog).Split('\n').Where(l => l.Contains("Refused"))));
        Assert.Equal(1, Refusals());

        await RecordsWithOneHostAsync(runtime, "After nobody");
    }

    [Fact]
    public async Task A_connection_lost_before_the_answer_is_retried_with_the_same_request_id()
    {
        await using var runtime = new PrivateRuntime(elf);
        // A stand-in host: it reads the first request and hangs up without answering (a host killed mid-request),
        // then answers the second.
        using var listener = runtime.ListenAtTheSocketPath();
        var seen = new List<string?>();
        var standIn = Task.Run(async () =>
        {
            using (var first = await listener.AcceptAsync())
            await using (var stream = new NetworkStream(first))
                seen.Add(FrameCodec.DecodeRequest((await FrameCodec.ReadAsync(stream, WireProtocol.MaxFrameBytes, default))!).RequestId);
            using var second = await listener.AcceptAsync();
            await using var answer = new NetworkStream(second);
            var request = FrameCodec.DecodeRequest((await FrameCodec.ReadAsync(answer, WireProtocol.MaxFrameBytes, default))!);
            seen.Add(request.RequestId);
            await FrameCodec.WriteAsync(answer, FrameCodec.Encode(new WireResponse
            {
                Record = new RecordResult(7, "memory/failures/x.md", request.RequestId!, Duplicate: false, Commit: null),
            }), default);
        });

        var result = await runtime.RecordAsync("Retried after a lost connection");
        await standIn.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"request ids seen by the stand-in: {string.Join(", ", seen)}; {result}");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Database record created (ID: 7)", result.Stdout);
        Assert.Equal(2, seen.Count);
        Assert.NotNull(seen[0]);
        Assert.Equal(seen[0], seen[1]);
    }

    /// <summary>
    /// A record succeeds, and exactly one host serves the memory (counted from /proc). A second host a racing start
    /// began finds the first's lock and exits by itself: the count is awaited to settle, with a deadline.
    /// </summary>
    private static async Task RecordsWithOneHostAsync(PrivateRuntime runtime, string title)
    {
        var result = await runtime.RecordAsync(title);
        Assert.True(result.ExitCode == 0, result.ToString());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (PublishedElf.HostProcesses(runtime.Base) != 1 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(1, PublishedElf.HostProcesses(runtime.Base));
    }

    /// <summary>A connection, retried while the accept queue is full (EAGAIN): a thousand connects at once overrun any backlog.</summary>
    private static async Task<Socket> ConnectAsync(UnixDomainSocketEndPoint endpoint)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(endpoint);
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TryAgain || e.SocketErrorCode == SocketError.WouldBlock)
            {
                socket.Dispose();
                if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw;
                await Task.Delay(10);
            }
        }
    }

    /// <summary>Permissions and type as stat(1) reports them, e.g. "600 socket".</summary>
    private static string Stat(string path) => Tools.Run("stat", "/", "-c", "%a %F", path).Stdout.Trim();

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException("condition not met in time");
            await Task.Delay(20);
        }
    }
}

/// <summary>A memory and a runtime folder ($XDG_RUNTIME_DIR) of its own; the host is stopped and both removed afterwards.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class PrivateRuntime : IAsyncDisposable
{
    private readonly PublishedElf _elf;
    private readonly TempMemory _memory = new();

    public PrivateRuntime(PublishedElf elf)
    {
        _elf = elf;
        Xdg = Path.Combine(Path.GetTempPath(), "elf-xdg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Xdg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment = new Dictionary<string, string> { [HostAddress.RuntimeVariable] = Xdg };
    }

    public string Xdg { get; }
    public string Base => _memory.BasePath;
    public Dictionary<string, string> Environment { get; }
    public string SocketPath => Path.Combine(Xdg, "elf", HostAddress.Key(new MemoryPaths(Base)) + ".sock");
    public string PidFile => Path.Combine(Xdg, "elf", HostAddress.Key(new MemoryPaths(Base)) + ".pid");

    public Task<ProcessResult> RunAsync(params string[] arguments) => _elf.RunAsync(arguments, Environment, null);

    /// <summary>A listening socket of this process at the memory's socket path (in a runtime folder made for it).</summary>
    public Socket ListenAtTheSocketPath()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(8);
        return listener;
    }

    public Task<ProcessResult> RunAsync(string[] arguments, TimeSpan timeout) => _elf.RunAsync(arguments, Environment, timeout);

    public Task<ProcessResult> RecordAsync(string title) =>
        RunAsync("record-failure", "--base", Base, "--title", title, "--domain", "endpoint");

    /// <summary>`elf` run by a shell that set the umask first (the host it starts inherits it).</summary>
    public async Task<ProcessResult> RunUnderUmaskAsync(string umask, params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"umask {umask} && exec \"$0\" \"$@\"");
        start.ArgumentList.Add(_elf.Elf);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in Environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("stop", "--base", Base);
        _memory.Dispose();
        try { Directory.Delete(Xdg, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A test that needs root (to act as another user, or to chown); skipped with the reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public static bool IsRoot => Posix.Supported && Posix.EffectiveUserId == 0;

    public RootFactAttribute()
    {
        if (!IsRoot) Skip = "needs root (runs as another user with setpriv)";
        else if (!File.Exists("/usr/bin/setpriv") && !File.Exists("/bin/setpriv")) Skip = "needs setpriv (util-linux)";
    }
}
