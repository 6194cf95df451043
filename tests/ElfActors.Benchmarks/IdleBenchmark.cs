using System.CommandLine;
using System.Globalization;
using ElfActors.Contracts;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Benchmarks;

/// <summary>
/// What a host costs while it waits between agents' records: CPU (% of one core) and resident memory of a warmed-up,
/// idle `elf serve`, with ElfActors' settings and, as the baseline, with Akka's default 10 ms scheduler tick, in
/// turns in one run.
/// </summary>
internal static class IdleBenchmark
{
    private const double ClockTicksPerSecond = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in these on Linux

    public static Command Create()
    {
        var seconds = new Option<int>("--seconds") { Description = "How long each idle host is measured.", DefaultValueFactory = _ => 20 }.InRange(5, 3600);
        var rounds = new Option<int>("--rounds") { Description = "Turns of the two settings.", DefaultValueFactory = _ => 2 }.InRange(1, 20);
        var elfDirectory = new Option<string?>("--elf") { Description = "Folder with a published elf + elf-host (default: publish src/ElfActors.Cli now)." };
        var command = new Command("idle", "CPU and memory of an idle, warmed-up host: ElfActors' settings against Akka's default scheduler tick.")
        {
            seconds, rounds, elfDirectory,
        };
        command.SetAction(async parse => await RunAsync(parse.GetValue(seconds), parse.GetValue(rounds), parse.GetValue(elfDirectory)));
        return command;
    }

    private static async Task<int> RunAsync(int seconds, int rounds, string? elfDirectory)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("Error: idle reads /proc/<pid>/stat, which only Linux has.");
            return 1;
        }
        var work = Path.Combine(Path.GetTempPath(), "elf-idle-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            elfDirectory ??= await Measure.PublishAsync(Path.Combine(work, "elf"));
            var elf = Path.Combine(elfDirectory, "elf");
            var akkaDefaultTick = Path.Combine(work, "akka-default-tick.hocon");
            await File.WriteAllTextAsync(akkaDefaultTick, "akka.scheduler.tick-duration = 10ms\n");
            (string Name, string[] Extra)[] settings = [("ElfActors' settings (100 ms tick)", []), ("Akka's default 10 ms tick (baseline)", ["--config", akkaDefaultTick])];

            var cpu = settings.ToDictionary(s => s.Name, _ => new List<double>());
            var memory = settings.ToDictionary(s => s.Name, _ => new List<double>());
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var (name, extra) in settings)
                {
                    Console.Error.WriteLine($"[round {round}/{rounds}] {name}: warming up, then {seconds} s idle…");
                    var idle = await MeasureIdleAsync(elf, Path.Combine(work, "memory-" + Guid.NewGuid().ToString("N")[..8]), extra, seconds);
                    Console.Error.WriteLine(Invariant($"    {idle.CpuPercent:0.000} % of a core, {idle.RssMegabytes:0} MB, {idle.Threads} threads; {idle.Load.Describe()}"));
                    cpu[name].Add(idle.CpuPercent);
                    memory[name].Add(idle.RssMegabytes);
                }
            }

            var baseline = cpu[settings[1].Name].Average();
            Console.WriteLine(Invariant($"Idle host: {seconds} s per measure, {rounds} round(s), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
            Console.WriteLine();
            Console.WriteLine("| setting | CPU, % of one core (each round) | mean | vs baseline | RSS MB |");
            Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
            foreach (var (name, _) in settings)
                Console.WriteLine(Invariant(
                    $"| {name} | {string.Join(" · ", cpu[name].Select(c => c.ToString("0.00", CultureInfo.InvariantCulture)))} | {cpu[name].Average():0.00} | {(baseline > 0 ? cpu[name].Average() / baseline : 0):0.00}× | {memory[name].Average():0} |"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    internal sealed record Idle(double CpuPercent, double RssMegabytes, int Threads, LoadWindow Load);

    /// <summary>
    /// Starts a host, records 20 failures through it (so that its code is compiled), lets it settle 3 s, then reads
    /// its CPU time over the next <paramref name="seconds"/>, and its resident memory and threads at their end.
    /// </summary>
    internal static async Task<Idle> MeasureIdleAsync(string elf, string memory, string[] extra, int seconds)
    {
        using var host = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(elf, ["serve", "--base", memory, .. extra])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        _ = host.StandardOutput.ReadToEndAsync();
        _ = host.StandardError.ReadToEndAsync();
        try
        {
            await Measure.WaitForHostAsync(elf, memory, host);
            for (var i = 0; i < 20; i++)
                await Measure.ProcessAsync(elf, ["record-failure", "--base", memory, "--title", $"Warm-up {i}", "--domain", "bench"]);
            await Measure.ProcessAsync(elf, ["flush", "--base", memory]);
            var pid = int.Parse(File.ReadAllText(HostAddress.PidFile(new MemoryPaths(memory))).Trim(), CultureInfo.InvariantCulture);
            await Task.Delay(TimeSpan.FromSeconds(3)); // the JIT's background tier-up after the warm-up is not idling
            var load = MachineLoad.Start(memory);
            var before = CpuTicks(pid);
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var after = CpuTicks(pid);
            var window = load.Stop();
            var rss = (Measure.StatusKilobytes(pid, "VmRSS") ?? 0) / 1024.0;
            var threads = Directory.GetDirectories($"/proc/{pid}/task").Length;
            return new Idle((after - before) / ClockTicksPerSecond / seconds * 100, rss, threads, window);
        }
        finally
        {
            await Measure.ProcessAsync(elf, ["stop", "--base", memory]);
            await host.WaitForExitAsync();
        }
    }

    /// <summary>utime + stime of the whole process (every thread), fields 14 and 15 of /proc/&lt;pid&gt;/stat.</summary>
    internal static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
