using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Benchmarks;

/// <summary>
/// What one record costs an agent: wall time of `elf record-failure` (a new process each time) against a running
/// host, beside the shell baseline (file + sqlite3 + flock + git commit per record) and the bare cost of starting
/// a process, all in one run on the same machine.
/// </summary>
internal static class HotPathBenchmark
{
    public static Command Create()
    {
        var records = new Option<int>("--records") { Description = "Records per system (sequential).", DefaultValueFactory = _ => 200 }.InRange(5, 100_000);
        var elfDirectory = new Option<string?>("--elf") { Description = "Folder with a published elf (default: publish src/ElfActors.Cli now)." };
        var command = new Command("hotpath", "Wall time per `elf record-failure` against a running host vs. flock + sqlite3 + git commit per record.")
        {
            records, elfDirectory,
        };
        command.SetAction(async parse => await RunAsync(parse.GetValue(records), parse.GetValue(elfDirectory)));
        return command;
    }

    private static async Task<int> RunAsync(int records, string? elfDirectory)
    {
        var work = Path.Combine(Path.GetTempPath(), "elf-hotpath-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            elfDirectory ??= await PublishAsync(Path.Combine(work, "elf"));
            var elf = Path.Combine(elfDirectory, "elf");
            var elfBase = Path.Combine(work, "elf-memory");
            var shellBase = Path.Combine(work, "shell-memory");
            Directory.CreateDirectory(shellBase);
            RunQuiet("git", "init", "-q", shellBase);
            var baseline = Path.Combine(AppContext.BaseDirectory, "baselines", "flock-sqlite-git.sh");

            // A running host, warmed up (the first records JIT-compile the host's code paths).
            using var host = Process.Start(new ProcessStartInfo(elf, ["serve", "--base", elfBase]) { RedirectStandardError = true, UseShellExecute = false })!;
            await Measure.WaitForHostAsync(elf, elfBase, host);
            for (var i = 0; i < 20; i++) await Measure.ProcessAsync(elf, ["record-failure", "--base", elfBase, "--title", $"Warm-up {i}", "--domain", "bench"]);
            for (var i = 0; i < 5; i++) await Measure.ProcessAsync(baseline, [shellBase, $"Warm-up {i}", "bench"]);

            // Interleaved, so that noise from the shared machine falls on every system alike.
            var spawn = new List<double>();
            var elfTimes = new List<double>();
            var shellTimes = new List<double>();
            for (var i = 0; i < records; i++)
            {
                spawn.Add(await Measure.ProcessAsync("/bin/true", []));
                elfTimes.Add(await Measure.ProcessAsync(elf, ["record-failure", "--base", elfBase, "--title", $"Hot path {i}", "--domain", "bench", "--summary", "measured"]));
                shellTimes.Add(await Measure.ProcessAsync(baseline, [shellBase, $"Hot path {i}", "bench"]));
                if (i % 50 == 49) Console.Error.WriteLine($"… {i + 1}/{records}");
            }
            await Measure.ProcessAsync(elf, ["stop", "--base", elfBase]);
            host.WaitForExit(TimeSpan.FromSeconds(60));

            var shellP50 = Measure.Percentile(shellTimes, 0.5);
            Console.WriteLine($"Hot path: {records} sequential records per system, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine();
            Console.WriteLine("| system | p50 ms | p99 ms | mean ms | p50 vs shell |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            Row("`/bin/true` (process start floor)", spawn, shellP50);
            Row("`elf record-failure` (running host)", elfTimes, shellP50);
            Row("shell: flock + sqlite3 + git commit", shellTimes, shellP50);
            return 0;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void Row(string name, List<double> times, double shellP50) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {Measure.Percentile(times, 0.5):0.0} | {Measure.Percentile(times, 0.99):0.0} | {times.Average():0.0} | {Measure.Percentile(times, 0.5) / shellP50:0.00}× |"));

    internal static async Task<string> PublishAsync(string output)
    {
        Console.Error.WriteLine("Publishing src/ElfActors.Cli (native elf + elf-host)…");
        await Measure.ProcessAsync("dotnet", ["publish", "src/ElfActors.Cli", "-c", "Release", "-o", output, "--nologo", "-v", "q"], Measure.FindRepository());
        return output;
    }

    private static void RunQuiet(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, UseShellExecute = false })!;
        process.WaitForExit();
    }
}
