using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ElfActors.Benchmarks.Compare;

/// <summary>
/// The seed note's table for the seed's three designs and ElfActors, in one run on one machine:
/// <list type="bullet">
/// <item>seed: every system × writers × files already tracked;</item>
/// <item>slow-git: the shell systems at 10 writers with a pre-commit hook that sleeps (the seed's lock timeouts);</item>
/// <item>throughput: elf-inproc with a long burst, at each repository size;</item>
/// <item>offered-rate: elf-inproc sent at a fixed rate (open loop), for record→commit latency under load.</item>
/// </list>
/// </summary>
internal static class CompareBenchmark
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = true,
    };

    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A smaller matrix that finishes in under 3 minutes (10 and 100 writers, empty repository)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON array (one object per run) on stdout; the markdown table goes to stderr." };
        var systems = new Option<string[]>("--systems") { Description = "Systems to run: " + string.Join(", ", Systems.All), AllowMultipleArgumentsPerToken = true };
        var writers = new Option<int[]>("--writers") { Description = "Concurrent writers (default 10 100 1000).", AllowMultipleArgumentsPerToken = true };
        var repoFiles = new Option<int[]>("--repo-files") { Description = "Files already tracked in the repository (default 0 100000).", AllowMultipleArgumentsPerToken = true };
        var commitDelay = new Option<int>("--commit-delay-ms") { Description = "Sleep in a pre-commit hook for the slow-git scenario (0 skips it).", DefaultValueFactory = _ => 4000 };
        var throughputWriters = new Option<int>("--throughput-writers") { Description = "Burst size of the elf-inproc throughput scenario (0 skips it).", DefaultValueFactory = _ => 20_000 };
        var rate = new Option<double[]>("--rate")
        {
            Description = "Offered records/s of the elf-inproc offered-rate scenarios (default 1000: record→commit latency under load; 5000: the target, whether it keeps up; 6000: more than the target, what it sustains). 0 skips them.",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [1000, 5000, 6000],
        };
        var rateSeconds = new Option<int>("--rate-seconds") { Description = "How long the offered-rate scenario lasts.", DefaultValueFactory = _ => 10 };
        var repeat = new Option<int>("--repeat")
        {
            Description = "Runs of each elf-inproc throughput and offered-rate scenario; the table shows the median one (by records/s) and notes all (default 3, --quick 1).",
            DefaultValueFactory = _ => 3,
        };
        var output = new Option<string?>("--out") { Description = "Also write results.json and results.md into this folder." };
        var elfDirectory = new Option<string?>("--elf") { Description = "Folder with a published elf + elf-host (default: publish src/ElfActors.Cli now)." };
        var command = new Command("compare", "The seed's before / option-a / option-b against elf-cli and elf-inproc: the seed note's table, measured.")
        {
            quick, json, systems, writers, repoFiles, commitDelay, throughputWriters, rate, rateSeconds, repeat, output, elfDirectory,
        };
        command.SetAction(async parse =>
        {
            var isQuick = parse.GetValue(quick);
            var plan = Plan(
                parse.GetValue(systems) is { Length: > 0 } s ? s : Systems.All,
                parse.GetValue(writers) is { Length: > 0 } w ? w : isQuick ? [10, 100] : [10, 100, 1000],
                parse.GetValue(repoFiles) is { Length: > 0 } f ? f : isQuick ? [0] : [0, 100_000],
                parse.GetValue(commitDelay),
                isQuick ? Math.Min(parse.GetValue(throughputWriters), 5000) : parse.GetValue(throughputWriters),
                parse.GetValue(rate) ?? [],
                isQuick ? Math.Min(parse.GetValue(rateSeconds), 3) : parse.GetValue(rateSeconds),
                isQuick ? 1 : Math.Max(1, parse.GetValue(repeat)));
            return await RunAsync(plan, parse.GetValue(json), parse.GetValue(output), parse.GetValue(elfDirectory));
        });
        return command;
    }

    /// <summary>
    /// The run with the median records/s, noting every run's records/s and commit p99: on this shared machine one
    /// run of a rate scenario can land in a minute when a neighbour takes the CPU or the disk.
    /// </summary>
    private static RunResult Median(List<RunResult> runs)
    {
        if (runs.Count == 1) return runs[0];
        var median = runs.OrderBy(r => r.RecordsPerSecond).ElementAt(runs.Count / 2);
        var all = Invariant($"median of {runs.Count}: {string.Join(" / ", runs.Select(r => r.RecordsPerSecond.ToString("0", CultureInfo.InvariantCulture)))} records/s, commit p99 {string.Join(" / ", runs.Select(r => r.CommitP99Ms.ToString("0", CultureInfo.InvariantCulture)))} ms");
        return median with { Note = median.Note is null ? all : median.Note + "; " + all };
    }

    private static List<RunSpec> Plan(string[] systems, int[] writers, int[] repoFiles, int commitDelayMs, int throughputWriters, double[] rates, int rateSeconds, int repeat)
    {
        var unknown = systems.Except(Systems.All).ToList();
        if (unknown.Count > 0) throw new ArgumentException("unknown systems: " + string.Join(", ", unknown));
        var plan = new List<RunSpec>();
        foreach (var files in repoFiles)
            foreach (var n in writers)
                foreach (var system in systems)
                    plan.Add(new RunSpec(system, "seed", n, files));
        if (commitDelayMs > 0)
            foreach (var system in systems.Intersect(Systems.ShellSystems))
                plan.Add(new RunSpec(system, "slow-git", 10, repoFiles.Min(), commitDelayMs));
        if (systems.Contains(Systems.ElfInProc))
        {
            if (throughputWriters > 0)
                foreach (var files in repoFiles) plan.Add(new RunSpec(Systems.ElfInProc, "throughput", throughputWriters, files, Repeat: repeat));
            foreach (var rate in rates.Where(r => r > 0))
                foreach (var files in repoFiles) plan.Add(new RunSpec(Systems.ElfInProc, "offered-rate", (int)(rate * rateSeconds), files, OfferedRate: rate, Repeat: repeat));
        }
        return plan;
    }

    private static async Task<int> RunAsync(List<RunSpec> plan, bool json, string? outputDirectory, string? elfDirectory)
    {
        var work = Path.Combine(Path.GetTempPath(), "elf-compare-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var began = DateTime.UtcNow;
        var results = new List<RunResult>();
        try
        {
            elfDirectory ??= await Measure.PublishAsync(Path.Combine(work, "elf"));
            var systems = new Systems(elfDirectory, new Repositories(work));
            foreach (var (spec, i) in plan.Select((s, i) => (s, i)))
            {
                Console.Error.WriteLine($"[{i + 1}/{plan.Count}] {spec.System} {spec.Scenario}: {spec.Writers} writers, {spec.RepoFiles} files tracked" +
                    (spec.CommitDelayMs > 0 ? $", +{spec.CommitDelayMs} ms per commit" : "") + (spec.OfferedRate > 0 ? $", {spec.OfferedRate} records/s offered" : ""));
                var repeats = new List<RunResult>();
                for (var r = 0; r < spec.Repeat; r++)
                {
                    var result = await systems.RunAsync(spec);
                    Console.Error.WriteLine(Invariant($"    success {result.SuccessRate}%, in git {result.RecordsInGit}, {result.RecordsPerSecond} records/s, commit p99 {result.CommitP99Ms} ms, wall {result.WallSeconds} s; {result.Load?.Describe()}"));
                    repeats.Add(result);
                }
                results.Add(Median(repeats));
            }
        }
        catch (Exception e)
        {
            // Keep what was measured so far: a failed run late in a long matrix still reports the others.
            Console.Error.WriteLine($"Stopped after {results.Count} runs: {e}");
        }

        var markdown = Markdown(results, began);
        var jsonText = JsonSerializer.Serialize(results, Json);
        if (json)
        {
            Console.WriteLine(jsonText);
            Console.Error.Write(markdown);
        }
        else Console.Write(markdown);
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            await File.WriteAllTextAsync(Path.Combine(outputDirectory, "results.json"), jsonText + "\n");
            await File.WriteAllTextAsync(Path.Combine(outputDirectory, "results.md"), markdown);
        }
        // Last, after the results are out: there may be millions of files to delete.
        Console.Error.WriteLine("Deleting " + work);
        try { Shell.Run("rm", "-rf", work); } catch (InvalidOperationException) { }
        return results.Count == plan.Count ? 0 : 1;
    }

    public static string Markdown(IReadOnlyList<RunResult> results, DateTime began)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"{results.Count} runs, {Environment.ProcessorCount} cores, {began:yyyy-MM-dd HH:mm} UTC. Rates in %; latencies in ms (ack = the writer's answer, commit = its file first seen in a commit on the branch)."));
        text.AppendLine();
        text.AppendLine("| system | scenario | writers | files tracked | success | DB rows | files | in git | state cons. | git cons. | wall s | records/s | steady /s | ack p50 | ack p99 | commit p50 | commit p99 | commits | peak MB | foreign CPU | note |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in results)
        {
            var scenario = r.Scenario + (r.CommitDelayMs > 0 ? Invariant($" (+{r.CommitDelayMs} ms/commit)") : "") + (r.OfferedRate > 0 ? Invariant($" ({r.OfferedRate:0}/s)") : "");
            text.AppendLine(Invariant(
                $"| {r.System} | {scenario} | {r.Writers:N0} | {r.RepoFiles:N0} | {r.SuccessRate:0.#} | {r.DbRows} | {r.Files} | {r.RecordsInGit} | {r.StateConsistency:0.#} | {r.GitConsistency:0.#} | {r.WallSeconds:0.00} | {r.RecordsPerSecond:0.#} | {(r.SteadyRecordsPerSecond is { } steady ? steady.ToString("0.#", CultureInfo.InvariantCulture) : "–")} | {r.AckP50Ms:0.#} | {r.AckP99Ms:0.#} | {r.CommitP50Ms:0.#} | {r.CommitP99Ms:0.#} | {r.Commits} | {(r.PeakMemoryMb is { } mb ? mb.ToString("0", CultureInfo.InvariantCulture) : "–")} | {Foreign(r.Load)} | {Escape(r.Note)} |"));
        }

        // ElfActors against each baseline, cell by cell (same writers, same repository size, same run).
        var seed = results.Where(r => r.Scenario == "seed").ToList();
        var cells = seed.Select(r => (r.Writers, r.RepoFiles)).Distinct().ToList();
        if (cells.Count > 0 && seed.Any(r => r.System.StartsWith("elf", StringComparison.Ordinal)))
        {
            text.AppendLine();
            text.AppendLine("Records/s committed, ElfActors ÷ baseline (seed scenario):");
            text.AppendLine();
            text.AppendLine("| writers | files tracked | elf-cli ÷ before | elf-cli ÷ option-a | elf-cli ÷ option-b | elf-inproc ÷ before | elf-inproc ÷ option-a | elf-inproc ÷ option-b |");
            text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (writers, files) in cells)
            {
                double? Rate(string system) => seed.FirstOrDefault(r => r.System == system && r.Writers == writers && r.RepoFiles == files)?.RecordsPerSecond;
                string Ratio(string elf, string baseline) => Rate(elf) is { } e && Rate(baseline) is { } b
                    ? b > 0 ? Invariant($"{e / b:0.0}×") : "∞ (baseline 0)" : "–";
                text.AppendLine(Invariant($"| {writers:N0} | {files:N0} | {Ratio(Systems.ElfCli, Systems.Before)} | {Ratio(Systems.ElfCli, Systems.OptionA)} | {Ratio(Systems.ElfCli, Systems.OptionB)} | {Ratio(Systems.ElfInProc, Systems.Before)} | {Ratio(Systems.ElfInProc, Systems.OptionA)} | {Ratio(Systems.ElfInProc, Systems.OptionB)} |"));
            }
        }
        return text.ToString();
    }

    /// <summary>Cores' worth of CPU that other processes took while the run was measured; INVALID past --max-foreign.</summary>
    public static string Foreign(LoadWindow? load) =>
        load is null ? "–" : Invariant($"{load.ForeignCores:0.00}{(load.Valid ? "" : " INVALID")}");

    private static string Escape(string? note) => note is null ? "" : note.Replace("|", "\\|").Replace("\n", " ");

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
