using System.Text.Json;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Cli;

/// <summary>The built `elf` executable, run as a separate process the way agents and scripts run it.</summary>
public sealed class SimulateCommandTests
{
    private static (int ExitCode, string Stdout, string Stderr) Elf(params string[] arguments) =>
        Tools.Run(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "elf.exe" : "elf"), AppContext.BaseDirectory, arguments);

    [Fact]
    public void Simulate_json_prints_one_object_whose_counts_match_the_memory()
    {
        using var memory = new TempMemory();

        var (code, stdout, stderr) = Elf("simulate", "--writers", "40", "--base", memory.BasePath, "--json");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var report = json.RootElement;
        Assert.Equal(JsonValueKind.Object, report.ValueKind);
        Assert.Equal(40, report.GetProperty("acknowledged").GetInt32());
        Assert.Equal(40, report.GetProperty("dbRows").GetInt32());
        Assert.Equal(40, report.GetProperty("files").GetInt32());
        Assert.Equal(40, report.GetProperty("recordsInGit").GetInt32());
        Assert.True(report.GetProperty("commits").GetInt32() is > 0 and < 40);
        Assert.True(report.GetProperty("consistent").GetBoolean());

        // And the memory agrees, read without ElfActors' code.
        Assert.Equal(40, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(40, Directory.EnumerateFiles(memory.FailuresDirectory, "*.md").Count());
        var trailers = GitHistory.Log(memory.BasePath).SelectMany(c => c.RecordTrailers).ToList();
        Assert.Equal(40, trailers.Count);
        Assert.Equal(40, trailers.Distinct().Count());
        Assert.Equal(report.GetProperty("commits").GetInt32(), GitHistory.Log(memory.BasePath).Count);
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }

    [Fact]
    public void Warm_up_records_are_committed_before_the_measured_ones_and_left_out_of_the_figures()
    {
        using var memory = new TempMemory();

        var (code, stdout, stderr) = Elf("simulate", "--writers", "30", "--warm-up", "20", "--rate", "200", "--base", memory.BasePath, "--json");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var report = json.RootElement;
        Assert.Equal(20, report.GetProperty("warmUp").GetInt32());
        Assert.Equal(0, report.GetProperty("warmUpJitRounds").GetInt32());
        Assert.Equal(30, report.GetProperty("acknowledged").GetInt32());
        Assert.Equal(30, report.GetProperty("recordsInGit").GetInt32());
        Assert.True(report.GetProperty("consistent").GetBoolean());

        // The memory holds both, each committed once; every warm-up record was committed before the first measured one.
        Assert.Equal(20, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings WHERE title LIKE 'Warm-up failure %'"));
        Assert.Equal(50, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        var log = GitHistory.Log(memory.BasePath);
        var trailers = log.SelectMany(c => c.RecordTrailers).ToList();
        Assert.Equal(50, trailers.Distinct().Count());
        Assert.Equal(50, trailers.Count);
        var warmUpIds = Tools.Sqlite(memory.DatabasePath, "SELECT id FROM learnings WHERE title LIKE 'Warm-up failure %'").Select(r => long.Parse(r[0])).ToHashSet();
        Assert.DoesNotContain(log, c => c.RecordTrailers.Any(warmUpIds.Contains) && c.RecordTrailers.Any(id => !warmUpIds.Contains(id)));
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }

    [Fact]
    public void Settling_the_jit_warms_up_in_rounds_that_are_committed_before_the_measured_records()
    {
        using var memory = new TempMemory();

        var (code, stdout, stderr) = Elf("simulate", "--writers", "30", "--warm-up", "20", "--rate", "2000", "--settle-jit", "--base", memory.BasePath, "--json");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var report = json.RootElement;
        // Three quiet rounds in a row at least (docs/adr/0077); without --settle-jit none (the test above: exactly 20 warm-up records).
        var rounds = report.GetProperty("warmUpJitRounds").GetInt32();
        Assert.InRange(rounds, 3, 20);
        if (rounds < 20) Assert.True(report.GetProperty("warmUpJitSettled").GetBoolean());
        Assert.True(report.GetProperty("jitMsDuringRun").GetDouble() >= 0);
        Assert.Equal(30, report.GetProperty("recordsInGit").GetInt32());
        Assert.True(report.GetProperty("consistent").GetBoolean());

        // The rounds' records are warm-up records, each committed once, none in a commit with a measured record.
        var warmUpRecords = 20 + rounds * 250;
        Assert.Equal(warmUpRecords, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings WHERE title LIKE 'Warm-up failure %'"));
        Assert.Equal(warmUpRecords + 30, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        var log = GitHistory.Log(memory.BasePath);
        var trailers = log.SelectMany(c => c.RecordTrailers).ToList();
        Assert.Equal(warmUpRecords + 30, trailers.Distinct().Count());
        Assert.Equal(warmUpRecords + 30, trailers.Count);
        var warmUpIds = Tools.Sqlite(memory.DatabasePath, "SELECT id FROM learnings WHERE title LIKE 'Warm-up failure %'").Select(r => long.Parse(r[0])).ToHashSet();
        Assert.DoesNotContain(log, c => c.RecordTrailers.Any(warmUpIds.Contains) && c.RecordTrailers.Any(id => !warmUpIds.Contains(id)));
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }

    [Fact]
    public void Simulate_without_a_base_uses_a_fresh_temp_folder_and_prints_the_table()
    {
        var (code, stdout, stderr) = Elf("simulate", "--writers", "5");

        Assert.True(code == 0, stderr);
        Assert.Contains("Success rate:", stdout);
        Assert.Contains("CONSISTENT", stdout);
        var memoryLine = stdout.Split('\n').Single(l => l.StartsWith("Memory: ", StringComparison.Ordinal));
        var basePath = memoryLine["Memory: ".Length..].Trim();
        try
        {
            Assert.StartsWith(Path.GetTempPath().TrimEnd('/'), basePath);
            Assert.Equal(5, Tools.SqliteScalar(Path.Combine(basePath, "memory", "index.db"), "SELECT COUNT(*) FROM learnings"));
        }
        finally
        {
            Directory.Delete(basePath, recursive: true);
        }
    }

    [Theory]
    [InlineData("simulate")]
    [InlineData("simulate", "--writers", "0")]
    [InlineData("simulate", "--writers", "ten")]
    [InlineData("simulate", "--writers", "5", "--bogus")]
    [InlineData("no-such-command")]
    public void Bad_arguments_exit_2_with_a_message_on_stderr(params string[] arguments)
    {
        var (code, stdout, stderr) = Elf(arguments);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Contains("elf:", stderr);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("simulate", "--help")]
    public void Help_describes_the_commands(params string[] arguments)
    {
        var (code, stdout, _) = Elf(arguments);
        Assert.Equal(0, code);
        Assert.Contains(arguments.Length == 1 ? "simulate" : "--writers", stdout);
    }
}
