using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Benchmarks;

/// <summary>
/// What one record costs an agent, against a warm running host, records one after another, interleaved so that
/// noise falls on every program alike:
/// <list type="bullet">
/// <item>wall time of `bash -c 'elf record-failure …'` beside `bash -c /bin/true` (how hooks call it);</item>
/// <item>CPU (user + system) of `elf record-failure` started directly, beside an empty Native AOT program and
/// `/bin/true` (the floor of any process and of any .NET process).</item>
/// </list>
/// </summary>
internal static class HotPathBenchmark
{
    public static Command Create()
    {
        var records = new Option<int>("--records") { Description = "Records (iterations of the interleaved loop).", DefaultValueFactory = _ => 200 }.InRange(5, 100_000);
        var elfDirectory = new Option<string?>("--elf") { Description = "Folder with a published elf (default: publish src/ElfActors.Cli now)." };
        var emptyAot = new Option<string?>("--empty-aot") { Description = "A published empty Native AOT program (default: publish tests/ElfActors.Benchmarks/EmptyAot now)." };
        var command = new Command("hotpath", "One record against a warm host: wall time through `bash -c` vs `bash -c /bin/true`, client CPU vs an empty AOT program and /bin/true.")
        {
            records, elfDirectory, emptyAot,
        };
        command.SetAction(async parse =>
        {
            var work = Path.Combine(Path.GetTempPath(), "elf-hotpath-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(work);
            try
            {
                var elf = Path.Combine(parse.GetValue(elfDirectory) ?? await Measure.PublishAsync(Path.Combine(work, "elf")), "elf");
                var empty = parse.GetValue(emptyAot) ?? await PublishEmptyAotAsync(Path.Combine(work, "empty-aot"));
                var result = await MeasureAsync(elf, empty, work, parse.GetValue(records));
                Console.WriteLine(Invariant($"Hot path: {result.Records} records, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {result.Load.Describe()}"));
                Console.WriteLine();
                Console.WriteLine("| program | wall p50 ms | wall p90 ms | wall p99 ms | CPU p50 ms | CPU p90 ms |");
                Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
                Console.WriteLine(Invariant($"| `bash -c /bin/true` | {P(result.TrueWall, 0.5):0.00} | {P(result.TrueWall, 0.9):0.00} | {P(result.TrueWall, 0.99):0.00} | – | – |"));
                Console.WriteLine(Invariant($"| `bash -c 'elf record-failure …'` | {P(result.ElfWall, 0.5):0.00} | {P(result.ElfWall, 0.9):0.00} | {P(result.ElfWall, 0.99):0.00} | – | – |"));
                Console.WriteLine(Invariant($"| `/bin/true` | – | – | – | {P(result.TrueCpu, 0.5):0.00} | {P(result.TrueCpu, 0.9):0.00} |"));
                Console.WriteLine(Invariant($"| empty Native AOT program | – | – | – | {P(result.EmptyAotCpu, 0.5):0.00} | {P(result.EmptyAotCpu, 0.9):0.00} |"));
                Console.WriteLine(Invariant($"| `elf record-failure` | – | – | – | {P(result.ElfCpu, 0.5):0.00} | {P(result.ElfCpu, 0.9):0.00} |"));
                if (result.HostCpuMsPerRecord is { } host)
                    Console.WriteLine(Invariant($"| the host, per record (its CPU over the loop ÷ {2 * result.Records} records) | – | – | – | {host:0.00} (mean) | – |"));
                return 0;
            }
            finally
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        });
        return command;
    }

    internal sealed record Result(int Records, List<double> TrueWall, List<double> ElfWall, List<double> TrueCpu, List<double> EmptyAotCpu, List<double> ElfCpu, LoadWindow Load)
    {
        /// <summary>The host's user + system CPU over the loop divided by the records it stored there (two an iteration); null where /proc has no figure.</summary>
        public double? HostCpuMsPerRecord { get; init; }
    }

    /// <summary>
    /// Starts a host for a fresh memory in <paramref name="work"/>, warms it up with 20 records, then runs the
    /// interleaved loop <paramref name="records"/> times, inside one <see cref="LoadWindow"/>.
    /// </summary>
    public static async Task<Result> MeasureAsync(string elf, string emptyAot, string work, int records)
    {
        var memory = Path.Combine(work, "hotpath-" + Guid.NewGuid().ToString("N")[..8]);
        // A running host, warmed up (the first records JIT-compile the host's code paths).
        using var host = Process.Start(new ProcessStartInfo(elf, ["serve", "--base", memory]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
        _ = host.StandardOutput.ReadToEndAsync();
        _ = host.StandardError.ReadToEndAsync();
        try
        {
            await Measure.WaitForHostAsync(elf, memory, host);
            for (var i = 0; i < 20; i++) await Measure.ProcessAsync(elf, Record(memory, $"Warm-up {i}"));
            await Measure.ProcessAsync(elf, ["flush", "--base", memory]);

            var result = new Result(records, [], [], [], [], [], null!);
            var hostCpuBefore = ProcessCpuMs(host.Id);
            var load = MachineLoad.Start(work);
            for (var i = 0; i < records; i++)
            {
                result.TrueWall.Add(await Measure.ProcessAsync("/bin/bash", ["-c", "/bin/true"]));
                result.ElfWall.Add(await Measure.ProcessAsync("/bin/bash", ["-c", Measure.CommandLine(elf, Record(memory, $"Hot path {i}"))]));
                result.TrueCpu.Add(await CpuAsync("/bin/true", []));
                result.EmptyAotCpu.Add(await CpuAsync(emptyAot, []));
                result.ElfCpu.Add(await CpuAsync(elf, Record(memory, $"Hot path direct {i}")));
                if (i % 50 == 49) Console.Error.WriteLine($"… {i + 1}/{records}");
            }
            var window = load.Stop();
            var hostCpuAfter = ProcessCpuMs(host.Id);
            return result with
            {
                Load = window,
                HostCpuMsPerRecord = hostCpuBefore is { } before && hostCpuAfter is { } after ? (after - before) / (2.0 * records) : null,
            };
        }
        finally
        {
            await Measure.ExitCodeAsync(elf, ["stop", "--base", memory]);
            await host.WaitForExitAsync();
        }
    }

    /// <summary>User + system CPU of a running process so far, in ms (/proc/PID/stat, clock ticks of 10 ms); null when unreadable.</summary>
    private static double? ProcessCpuMs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime and stime are the stat's 14th and 15th fields: the 12th and 13th after the command's closing parenthesis.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static string[] Record(string memory, string title) => ["record-failure", "--base", memory, "--title", title, "--domain", "bench", "--summary", "measured"];

    /// <summary>User + system CPU of one run of a program to its end (it must succeed), in ms.</summary>
    private static async Task<double> CpuAsync(string file, string[] arguments)
    {
        var before = Measure.ReapedChildrenCpuMs();
        await Measure.ProcessAsync(file, arguments);
        return Measure.ReapedChildrenCpuMs() - before;
    }

    /// <summary>Publishes tests/ElfActors.Benchmarks/EmptyAot (a Native AOT `return 0;`) and returns the program's path.</summary>
    public static async Task<string> PublishEmptyAotAsync(string output)
    {
        Console.Error.WriteLine("Publishing tests/ElfActors.Benchmarks/EmptyAot (an empty Native AOT program)…");
        await Measure.ProcessAsync("dotnet", ["publish", "tests/ElfActors.Benchmarks/EmptyAot", "-c", "Release", "-o", output, "--nologo", "-v", "q"], Measure.FindRepository());
        return Path.Combine(output, "empty-aot");
    }

    private static double P(List<double> values, double quantile) => Measure.Percentile(values, quantile);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
