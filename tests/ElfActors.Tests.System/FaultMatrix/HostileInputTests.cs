using System.IO.Pipes;
using System.Text.Json;
using ElfActors.Contracts;
using ElfActors.Contracts.Wire;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// Hostile input through the published `elf`: every refused input gets a message naming the field, exit 2 and
/// writes nothing; input that is only dangerous to a careless writer (shell metacharacters, `../`, a hard-linked
/// target) is stored verbatim and harmlessly. Each case is printed with its outcome.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "FaultMatrix")]
public sealed class HostileInputTests(PublishedElf elf, ITestOutputHelper output)
{
    private static string[] Record(string basePath, string title, string domain = "hostile", params string[] more) =>
        ["record-failure", "--base", basePath, "--title", title, "--domain", domain, .. more];

    [Fact]
    public async Task Refused_input_exits_2_names_the_field_and_writes_nothing()
    {
        await using var served = new ServedMemory(elf);
        var b = served.Base;
        var cases = new (string Name, string[] Arguments, string Field)[]
        {
            ("empty title", Record(b, ""), "title"),
            ("whitespace title", Record(b, " \t  "), "title"),
            ("title at limit+1 (501)", Record(b, new string('t', 501)), "title"),
            ("domain at limit+1 (101)", Record(b, "t", new string('d', 101)), "domain"),
            ("summary at limit+1 (50,001)", Record(b, "t", "d", "--summary", new string('s', 50_001)), "summary"),
            ("tags at limit+1 (1,001)", Record(b, "t", "d", "--tags", new string('g', 1_001)), "tags"),
            ("control characters only", Record(b, "\u001b[31m\u0007\u0008"), "title"),
            ("title whose slug is empty (emoji)", Record(b, "🔥🚀🔥"), "title"),
            ("severity 0", Record(b, "t", "d", "--severity", "0"), "severity"),
            ("severity 6", Record(b, "t", "d", "--severity", "6"), "severity"),
            ("severity abc", Record(b, "t", "d", "--severity", "abc"), "severity"),
            ("markdown heading injection in the summary", Record(b, "t", "d", "--summary", "ok\n## Root Cause\nforged"), "summary"),
            ("HTML injection in the title", Record(b, "<script>alert(1)</script>"), "title"),
            ("HTML injection in the summary", Record(b, "t", "d", "--summary", "<img src=x onerror=alert(1)>"), "summary"),
            ("heuristic confidence 1.5", ["record-heuristic", "--base", b, "--domain", "d", "--rule", "r", "--confidence", "1.5"], "confidence"),
            ("heuristic confidence abc", ["record-heuristic", "--base", b, "--domain", "d", "--rule", "r", "--confidence", "abc"], "confidence"),
            ("heuristic with an empty rule", ["record-heuristic", "--base", b, "--domain", "d", "--rule", "  "], "rule"),
        };
        foreach (var (name, arguments, field) in cases)
        {
            var result = await elf.RunAsync(arguments);
            output.WriteLine($"{name}: exit {result.ExitCode}: {string.Join(" ", result.Stderr.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))}");
            Assert.True(result.ExitCode == 2, $"{name}: {result}");
            Assert.Contains(field, result.Stderr);
        }

        // NUL cannot travel in argv or the environment; through the pipe it is refused by the host.
        var nul = await SendAsync(b, new WireRequest
        {
            Command = WireProtocol.Commands.RecordFailure,
            RequestId = "nul-1",
            Failure = new FailureFields("cut\0here", "d", null, null, null),
        });
        output.WriteLine($"NUL in the title (wire): {nul.Status}: {nul.Message}");
        Assert.Equal(WireProtocol.Statuses.Rejected, nul.Status);

        MemoryAssert.NothingWritten(served.Memory);
    }

    [Fact]
    public async Task Input_that_is_only_dangerous_to_a_careless_writer_is_stored_verbatim_and_harmlessly()
    {
        await using var served = new ServedMemory(elf);
        var b = served.Base;
        var canary = Path.Combine(Path.GetTempPath(), "elf-pwned-" + Guid.NewGuid().ToString("N"));
        var cases = new (string Name, string[] Arguments, string Title, string Domain)[]
        {
            ("title at the limit (500)", Record(b, new string('t', 500)), new string('t', 500), "hostile"),
            ("domain at the limit (100)", Record(b, "Domain at the limit", new string('d', 100)), "Domain at the limit", new string('d', 100)),
            ("../ and / in title and domain", Record(b, "../../etc/passwd", "../../../root/.ssh"), "../../etc/passwd", "../../../root/.ssh"),
            ("shell metacharacters", Record(b, $"$(touch {canary}) `touch {canary}`; touch {canary} | cat & >x"), $"$(touch {canary}) `touch {canary}`; touch {canary} | cat & >x", "hostile"),
            ("control characters inside text", Record(b, "bell\u0007 and\u001b[1m bold"), "bell and bold", "hostile"),
            ("ordinary angle brackets", Record(b, "List<T> is invariant"), "List<T> is invariant", "hostile"),
        };
        foreach (var (name, arguments, title, domain) in cases)
        {
            var result = await elf.RunAsync([.. arguments, "--json"]);
            Assert.True(result.ExitCode == 0, $"{name}: {result}");
            var path = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("record").GetProperty("path").GetString()!;
            output.WriteLine($"{name}: exit 0, stored verbatim at {path}");
            Assert.Matches("^memory/failures/[0-9]{8}_[a-z0-9-]+(_[0-9]+)?\\.md$", path);
            var row = Tools.Sqlite(served.Memory.DatabasePath, $"SELECT title, domain FROM learnings WHERE filepath = '{path}'").Single();
            Assert.Equal([title, domain], row);
        }
        Assert.False(File.Exists(canary), "a shell ran the title");

        // A heuristic's domain names its file: `../` must not leave memory/heuristics.
        var traversal = await elf.RunAsync("record-heuristic", "--base", b, "--domain", "../../outside", "--rule", "Stay inside");
        var heuristicFiles = Directory.EnumerateFiles(Path.Combine(b, "memory", "heuristics")).Select(Path.GetFileName).ToList();
        output.WriteLine($"../ in a heuristic's domain: exit {traversal.ExitCode}; files in memory/heuristics: {string.Join(", ", heuristicFiles)}");
        Assert.True(traversal.ExitCode is 0 or 2, traversal.ToString());
        Assert.False(File.Exists(Path.Combine(b, "outside.md")));
        Assert.Empty(Directory.EnumerateFiles(b, "*.md", SearchOption.TopDirectoryOnly));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(b, "memory"), "*.md", SearchOption.TopDirectoryOnly));

        // ELF refused a target with a second hard link because it overwrote files; ElfActors never writes to an
        // existing file: the record takes a fresh name and both links keep their bytes.
        var outside = Path.Combine(served.Base, "outside.txt");
        File.WriteAllText(outside, "not a record");
        var target = Path.Combine(served.Memory.FailuresDirectory, $"{DateTime.Now:yyyyMMdd}_hard-linked.md");
        Assert.Equal(0, Tools.Run("ln", "/", outside, target).ExitCode);
        var linked = await elf.RunAsync([.. Record(b, "Hard linked"), "--json"]);
        Assert.True(linked.ExitCode == 0, linked.ToString());
        var linkedPath = JsonDocument.Parse(linked.Stdout).RootElement.GetProperty("record").GetProperty("path").GetString()!;
        output.WriteLine($"a target file with a second hard link: exit 0, written to {linkedPath} instead; the linked file is untouched");
        Assert.NotEqual(Path.GetRelativePath(served.Base, target), linkedPath);
        Assert.Equal("not a record", File.ReadAllText(outside));
        Assert.Equal("not a record", File.ReadAllText(target));
        File.Delete(target);
        File.Delete(outside);

        Assert.Equal(0, (await elf.RunAsync("flush", "--base", b)).ExitCode);
        Assert.Equal(0, (await elf.RunAsync("verify", "--base", b)).ExitCode);
        Assert.Empty(GitHistory.Status(b));
    }

    [ImmutableFact]
    public async Task An_unwritable_base_fails_with_exit_1_and_a_clear_message()
    {
        using var memory = new TempMemory();
        FileSystemFaults.Immutable(memory.BasePath, on: true);
        try
        {
            var result = await elf.RunAsync(Record(memory.BasePath, "Cannot be written"));
            output.WriteLine($"unwritable base: exit {result.ExitCode}: {result.Stderr.Trim().ReplaceLineEndings(" ")}");
            Assert.Equal(1, result.ExitCode);
            Assert.False(string.IsNullOrWhiteSpace(result.Stderr));
            Assert.Equal(0, PublishedElf.HostProcesses(memory.BasePath));
        }
        finally
        {
            FileSystemFaults.Immutable(memory.BasePath, on: false);
        }
    }

    private static async Task<WireResponse> SendAsync(string basePath, WireRequest request)
    {
        await using var pipe = new NamedPipeClientStream(".", HostAddress.PipeName(new MemoryPaths(basePath)), PipeDirection.InOut, PipeOptions.Asynchronous);
        await pipe.ConnectAsync(5000);
        await FrameCodec.WriteAsync(pipe, FrameCodec.Encode(request), default);
        return FrameCodec.DecodeResponse((await FrameCodec.ReadAsync(pipe, WireProtocol.MaxFrameBytes, new CancellationTokenSource(30_000).Token))!);
    }
}
