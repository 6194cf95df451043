using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ElfActors.Benchmarks.Compare;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Benchmarks.Growth;

/// <summary>
/// Issue 23, part 5: how each step a user pays for grows with the memory. For each size a memory of N records (files,
/// rows, commits: <see cref="MemoryGenerator"/>) is built, then measured through the published `elf`: host start (until
/// `elf status` answers), the first record, steady-state records, `verify`, `reindex --force` and `import` of the whole
/// memory into an empty one, with the host's peak resident memory (VmHWM) and the peak of reindex and import
/// (`/usr/bin/time`). Wall times on a shared machine are noisy; the per-record figures and the memory are what to read.
/// </summary>
internal static class GrowthBenchmark
{
    public static Command Create()
    {
        var sizes = new Option<int[]>("--sizes") { Description = "Memory sizes, in records (default 10000 100000).", AllowMultipleArgumentsPerToken = true };
        var records = new Option<int>("--records") { Description = "Steady-state records sent one after another to the warm host.", DefaultValueFactory = _ => 100 }.InRange(10, 10_000);
        var skipImport = new Option<int>("--import-up-to") { Description = "Import only memories of at most this many records (import commits as it goes; the largest take long).", DefaultValueFactory = _ => 100_000 };
        var elfDirectory = new Option<string?>("--elf") { Description = "Folder with a published elf + elf-host (default: publish src/ElfActors.Cli now)." };
        var output = new Option<string?>("--out") { Description = "Write growth.md, growth.json and growth.svg into this folder." };
        var keep = new Option<string?>("--work") { Description = "Work folder (kept afterwards, generated memories reused); default a temp folder, deleted." };
        var from = new Option<string?>("--from") { Description = "Measure nothing: write growth.md and growth.svg into --out from a growth.json (points of several runs put together)." };
        var command = new Command("growth", "Issue 23, part 5: host start, first record, steady records, verify, reindex, import and host RSS at growing memory sizes.")
        {
            sizes, records, skipImport, elfDirectory, output, keep, from,
        };
        command.SetAction(async parse => parse.GetValue(from) is { } json ? await ReplotAsync(json, parse.GetValue(output)) : await RunAsync(
            parse.GetValue(sizes) is { Length: > 0 } s ? s : [10_000, 100_000], parse.GetValue(records), parse.GetValue(skipImport),
            parse.GetValue(elfDirectory), parse.GetValue(output), parse.GetValue(keep)));
        return command;
    }

    internal sealed record Point(
        int Records, double GenerateSeconds, double HostStartMs, double FirstRecordMs, double SteadyP50Ms, double SteadyP90Ms, double FlushMs,
        double VerifyMs, double HostPeakMiB, double ReindexMs, double ReindexPeakMiB, double? ImportMs, double? ImportPeakMiB, string Load,
        double? HostServingPeakMiB = null, double? HostServingRssMiB = null);

    private static async Task<int> RunAsync(int[] sizes, int steadyRecords, int importUpTo, string? elfDirectory, string? outputDirectory, string? workFolder)
    {
        var work = workFolder ?? Path.Combine(Path.GetTempPath(), "elf-growth-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var points = new List<Point>();
        try
        {
            elfDirectory ??= await Measure.PublishAsync(Path.Combine(work, "elf"));
            var elf = Path.Combine(elfDirectory, "elf");
            foreach (var size in sizes.Order())
            {
                var point = await MeasureSizeAsync(elf, work, size, steadyRecords, size <= importUpTo);
                Console.Error.WriteLine("    " + JsonSerializer.Serialize(point));
                points.Add(point);
                // Written after every size: a long run stopped at the largest size keeps what it measured.
                if (outputDirectory is not null) await WriteAsync(outputDirectory, points);
            }
        }
        finally
        {
            if (workFolder is null)
            {
                Console.Error.WriteLine("Deleting " + work);
                try { Shell.Run("rm", "-rf", work); } catch (InvalidOperationException) { }
            }
        }
        Console.Write(Markdown(points));
        return 0;
    }

    private static async Task<int> ReplotAsync(string json, string? outputDirectory)
    {
        var points = JsonSerializer.Deserialize<List<Point>>(await File.ReadAllTextAsync(json)) ?? [];
        points = points.OrderBy(p => p.Records).ToList();
        if (outputDirectory is not null) await WriteAsync(outputDirectory, points);
        Console.Write(Markdown(points));
        return 0;
    }

    private static async Task WriteAsync(string outputDirectory, IReadOnlyList<Point> points)
    {
        Directory.CreateDirectory(outputDirectory);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "growth.md"), Markdown(points));
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "growth.json"), JsonSerializer.Serialize(points, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "growth.svg"), GrowthPlot.Svg(points));
    }

    private static async Task<Point> MeasureSizeAsync(string elf, string work, int size, int steadyRecords, bool import)
    {
        var memory = Path.Combine(work, $"memory-{size}");
        var generated = Stopwatch.StartNew();
        var marker = memory + ".generated";
        if (!File.Exists(marker))
        {
            if (Directory.Exists(memory)) Shell.Run("rm", "-rf", memory);
            Console.Error.WriteLine($"[{size:N0}] generating the memory…");
            var perCommit = Math.Max(1000, size / 100);
            MemoryGenerator.Generate(memory, size, perCommit, done => { if (done % (perCommit * 10) == 0) Console.Error.WriteLine($"    {done:N0} records"); });
            Git.Run(memory, "gc", "-q");
            await File.WriteAllTextAsync(marker, "");
            Git.Run(memory, "update-index", "-q", "--refresh");
        }
        var generateSeconds = generated.Elapsed.TotalSeconds;
        Shell.Run("sync");
        var load = MachineLoad.Start(work);

        // Host start: `elf serve` until `elf status` answers (start-up repair included). A host left by an earlier,
        // interrupted run would answer instead of the one measured (and be of another build): stopped first.
        Console.Error.WriteLine($"[{size:N0}] host start, records, verify…");
        if (await Measure.ExitCodeAsync(elf, ["status", "--base", memory]) == 0)
        {
            Console.Error.WriteLine("    a host already serves this memory (an earlier run's): stopping it first");
            await Measure.ProcessAsync(elf, ["stop", "--base", memory]);
        }
        var started = Stopwatch.GetTimestamp();
        using var host = Process.Start(new ProcessStartInfo(elf, ["serve", "--base", memory]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        _ = host.StandardOutput.ReadToEndAsync();
        _ = host.StandardError.ReadToEndAsync();
        while (await Measure.ExitCodeAsync(elf, ["status", "--base", memory]) != 0)
        {
            if (host.HasExited || Stopwatch.GetElapsedTime(started).TotalMinutes > 10) throw new InvalidOperationException("elf serve did not start");
            await Task.Delay(20);
        }
        var hostStart = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (host.HasExited) throw new InvalidOperationException($"elf serve exited {host.ExitCode}: another host answered for {memory}");
        var first = await RecordAsync(elf, memory, "First record after start");
        var walls = new List<double>();
        for (var i = 0; i < steadyRecords; i++) walls.Add(await RecordAsync(elf, memory, $"Steady record {i}"));
        var flush = await Measure.ProcessAsync(elf, ["flush", "--base", memory, "--timeout", "3600"]);
        // The host's peak and resident memory while serving records (start, reachability check, records, flush), apart
        // from verify's, which reads every row, file and tracked path.
        var servingPeak = (Measure.StatusKilobytes(host.Id, "VmHWM") ?? 0) / 1024.0;
        var servingRss = (Measure.StatusKilobytes(host.Id, "VmRSS") ?? 0) / 1024.0;
        var verify = await Measure.ProcessAsync(elf, ["verify", "--base", memory, "--timeout", "3600"]);
        var hostPeak = (Measure.StatusKilobytes(host.Id, "VmHWM") ?? 0) / 1024.0;
        await Measure.ProcessAsync(elf, ["stop", "--base", memory]);
        await host.WaitForExitAsync();

        Console.Error.WriteLine($"[{size:N0}] reindex…");
        var (reindex, reindexPeak) = await TimedAsync(elf, ["reindex", "--base", memory, "--force"]);
        double? importMs = null, importPeak = null;
        if (import)
        {
            Console.Error.WriteLine($"[{size:N0}] import…");
            var target = Path.Combine(work, $"import-{size}-" + Guid.NewGuid().ToString("N")[..6]);
            Directory.CreateDirectory(target);
            Git.Run(target, "init", "-q", "-b", "main", ".");
            Git.Run(target, "config", "user.name", "bench");
            Git.Run(target, "config", "user.email", "bench@localhost");
            (importMs, importPeak) = await TimedAsync(elf, ["import", memory, "--base", target]);
            Shell.Run("rm", "-rf", target);
        }
        var window = load.Stop();
        return new Point(size, Math.Round(generateSeconds, 1), Math.Round(hostStart), Math.Round(first, 1),
            Math.Round(Measure.Percentile(walls, 0.5), 1), Math.Round(Measure.Percentile(walls, 0.9), 1), Math.Round(flush),
            Math.Round(verify), Math.Round(hostPeak), Math.Round(reindex), Math.Round(reindexPeak), importMs is { } m ? Math.Round(m) : null,
            importPeak is { } p ? Math.Round(p) : null, window.Describe(), Math.Round(servingPeak), Math.Round(servingRss));
    }

    private static Task<double> RecordAsync(string elf, string memory, string title) =>
        Measure.ProcessAsync(elf, ["record-failure", "--base", memory, "--title", title, "--domain", "bench", "--summary", "growth"]);

    /// <summary>Wall time and peak resident memory (MiB, GNU time's %M) of one `elf` run.</summary>
    private static async Task<(double Ms, double PeakMiB)> TimedAsync(string elf, string[] arguments)
    {
        var report = Path.GetTempFileName();
        try
        {
            var ms = await Measure.ProcessAsync("/usr/bin/time", ["-f", "%M", "-o", report, elf, .. arguments]);
            var kilobytes = long.Parse((await File.ReadAllTextAsync(report)).Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
            return (ms, kilobytes / 1024.0);
        }
        finally
        {
            File.Delete(report);
        }
    }

    private static string Markdown(IReadOnlyList<Point> points)
    {
        var text = new StringBuilder();
        var commit = MemoryCensus.TryGit(Measure.FindRepository(), "rev-parse", "--short", "HEAD") ?? "?";
        text.AppendLine(Invariant($"`growth` at {commit}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Times in ms; memory in MiB (peak resident)."));
        text.AppendLine();
        text.AppendLine("| records | host start | first record | steady record p50 / p90 | flush | verify | host RSS serving: now / peak | host peak RSS with verify | reindex | reindex peak RSS | import | import peak RSS | load |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var p in points)
            text.AppendLine(Invariant(
                $"| {p.Records:N0} | {p.HostStartMs:N0} | {p.FirstRecordMs:N0} | {p.SteadyP50Ms:N1} / {p.SteadyP90Ms:N1} | {p.FlushMs:N0} | {p.VerifyMs:N0} | {Mib(p.HostServingRssMiB)} / {Mib(p.HostServingPeakMiB)} | {p.HostPeakMiB:N0} | {p.ReindexMs:N0} | {p.ReindexPeakMiB:N0} | {(p.ImportMs is { } i ? i.ToString("N0", CultureInfo.InvariantCulture) : "–")} | {(p.ImportPeakMiB is { } r ? r.ToString("N0", CultureInfo.InvariantCulture) : "–")} | {p.Load} |"));
        return text.ToString();
    }

    private static string Mib(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "–";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
