using System.Diagnostics;
using System.Text.Json;
using HdrHistogram;

namespace ElfActors.Benchmarks.Compare;

/// <summary>
/// Runs one workload against one system: N writers each record one failure ("Bench RUN wN failure"), all
/// started at once, each through its own `bash -c` as ELF's hooks and agents start them (shell and CLI systems),
/// then the memory is read. Each run records the machine's load while it was measured (<see cref="LoadWindow"/>).
/// </summary>
internal sealed class Systems(string elfDirectory, Repositories repositories)
{
    public const string Before = "before", OptionA = "option-a", OptionB = "option-b", ElfCli = "elf-cli", ElfInProc = "elf-inproc";
    public static readonly string[] All = [Before, OptionA, OptionB, ElfCli, ElfInProc];
    public static readonly string[] ShellSystems = [Before, OptionA, OptionB];

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(15);
    private string Elf => Path.Combine(elfDirectory, "elf");
    private string ElfHost => Path.Combine(elfDirectory, "elf-host");
    private static string Baseline(string name) => Path.Combine(AppContext.BaseDirectory, "baselines", name);

    public async Task<RunResult> RunAsync(RunSpec spec)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var repository = repositories.Fresh(spec.RepoFiles, $"{spec.System}-{spec.Scenario}-{spec.Writers}-{spec.RepoFiles}-{run}");
        if (spec.CommitDelayMs > 0) Repositories.SlowCommits(repository, spec.CommitDelayMs);
        // Set-up (a copy of 100,000 files) and the runs before leave hundreds of megabytes of dirty pages; the
        // kernel writes them back about 30 s later, in whichever run is measured then. Start each on a quiet disk.
        // Folders are deleted only at the end of the whole benchmark: on ext4, deleting 100,000 files makes creating
        // files slower for a while afterwards (the allocator skips recently deleted inodes), which would tax the next run.
        Shell.Run("sync");
        return spec.System switch
        {
            Before => await ShellAsync(spec, run, repository, ElfRecordFailure(repository), worker: false),
            OptionA => await ShellAsync(spec, run, repository, i => Measure.CommandLine(Baseline("seed-option-a.sh"), repository, Title(run, i), "bench"), worker: false),
            OptionB => await ShellAsync(spec, run, repository, i => Measure.CommandLine(Baseline("seed-option-b.sh"), repository, Title(run, i), "bench"), worker: true),
            ElfCli => await ElfCliAsync(spec, run, repository),
            ElfInProc => await InProcAsync(spec, repository),
            _ => throw new ArgumentException("unknown system " + spec.System),
        };

        Func<int, string> ElfRecordFailure(string repository)
        {
            // "before" is ELF's own record-failure.sh from before it stopped committing, run as it is: it finds the
            // memory in the folder above its own scripts/ folder, checks the DB's integrity, writes the file and the
            // row (sqlite3 with no busy timeout, five quick retries), then under a 30 s flock `git add`s the file and
            // memory/index.db and makes one commit.
            var script = Path.Combine(repository, "scripts", "record-failure.sh");
            Directory.CreateDirectory(Path.GetDirectoryName(script)!);
            File.Copy(ElfSnapshot.RecordFailureScript, script);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
            return i => Measure.CommandLine(script, "--title", Title(run, i), "--domain", "bench", "--summary", "Benchmark record.");
        }
    }

    private async Task<RunResult> ShellAsync(RunSpec spec, string run, string repository, Func<int, string> writer, bool worker)
    {
        // An existing ELF memory: its index.db made by ELF's init_db.sql, in WAL mode (ELF's query.py sets it).
        Directory.CreateDirectory(Path.Combine(repository, "memory", "failures"));
        Shell.Run("sqlite3", Path.Combine(repository, "memory", "index.db"), "PRAGMA journal_mode=WAL;", ".read " + ElfSnapshot.InitDbSql);
        var startCommit = MemoryCensus.TryGit(repository, "rev-parse", "-q", "--verify", "HEAD");
        using var queueWorker = worker ? LongRunning.Start(Baseline("seed-option-b-worker.sh"), [repository]) : null;
        await using var peak = queueWorker is null ? null : new PeakMemory(queueWorker.Process.Id);
        var load = MachineLoad.Start(repositories.Work);
        var started = Stopwatch.GetTimestamp();
        Outcome[] outcomes;
        await using (var watcher = new CommitWatcher(repository, run, startCommit))
        {
            outcomes = await LaunchAllAsync(spec.Writers, writer);
            if (queueWorker is not null)
            {
                File.WriteAllText(Path.Combine(repository, ".git", "commit_queue.stop"), "");
                await queueWorker.WaitAsync(DrainTimeout);
            }
            var finished = Stopwatch.GetTimestamp();
            var window = load.Stop();
            await watcher.DisposeAsync();
            return Tally(spec, run, repository, startCommit, outcomes, watcher.CommittedAt, started, finished, peak?.Megabytes, note: null) with { Load = window };
        }
    }

    private async Task<RunResult> ElfCliAsync(RunSpec spec, string run, string repository)
    {
        using var host = LongRunning.Start(Elf, ["serve", "--base", repository]);
        await using var peak = new PeakMemory(host.Process.Id);
        await Measure.WaitForHostAsync(Elf, repository, host.Process);
        // A running host is warm: agents start it once and record through it for hours.
        for (var i = 0; i < 20; i++) await Measure.ExitCodeAsync(Elf, ["record-failure", "--base", repository, "--title", $"Warm-up {i}", "--domain", "bench"]);
        await Measure.ExitCodeAsync(Elf, ["flush", "--base", repository]);
        var startCommit = MemoryCensus.TryGit(repository, "rev-parse", "-q", "--verify", "HEAD");

        var load = MachineLoad.Start(repositories.Work);
        var started = Stopwatch.GetTimestamp();
        Outcome[] outcomes;
        await using var watcher = new CommitWatcher(repository, run, startCommit);
        outcomes = await LaunchAllAsync(spec.Writers, i => Measure.CommandLine(Elf, "record-failure", "--base", repository, "--title", Title(run, i), "--domain", "bench",
            "--summary", "Benchmark record.", "--timeout", "600"));
        var flushed = await Measure.ExitCodeAsync(Elf, ["flush", "--base", repository, "--timeout", ((int)DrainTimeout.TotalSeconds).ToString()]);
        var finished = Stopwatch.GetTimestamp();
        var window = load.Stop();
        await watcher.DisposeAsync();
        peak.Sample(host.Process.Id);
        await Measure.ExitCodeAsync(Elf, ["stop", "--base", repository]);
        await host.WaitAsync(TimeSpan.FromMinutes(2));
        return Tally(spec, run, repository, startCommit, outcomes, watcher.CommittedAt, started, finished, peak.Megabytes,
            note: flushed == 0 ? null : $"elf flush exited {flushed}") with { Load = window };
    }

    /// <summary>Whether this build's <c>simulate</c> has <c>--settle-jit</c> (asked once).</summary>
    private bool SimulateSettlesJit() => _simulateSettlesJit ??= Shell.Run(ElfHost, "simulate", "--help").Contains("--settle-jit", StringComparison.Ordinal);

    private bool? _simulateSettlesJit;

    private async Task<RunResult> InProcAsync(RunSpec spec, string repository)
    {
        string[] arguments = ["simulate", "--writers", spec.Writers.ToString(), "--base", repository, "--json", "--timeout", ((int)DrainTimeout.TotalSeconds).ToString()];
        // A sustained rate is a running host's: one second of the same load warms it up first (compiled code, open files,
        // the records folder's tree in memory), as the elf-cli runs' warm-up records do; those records are not in the figures.
        if (spec.OfferedRate > 0)
        {
            var rate = spec.OfferedRate.ToString(System.Globalization.CultureInfo.InvariantCulture);
            arguments = [.. arguments, "--rate", rate, "--warm-up", ((int)Math.Ceiling(spec.OfferedRate)).ToString(System.Globalization.CultureInfo.InvariantCulture)];
            // Then until the tier-up JIT has settled, as `hotpath` waits for it (docs/adr/0077); a build without the option
            // (an older one compared side by side) runs as it did.
            if (SimulateSettlesJit()) arguments = [.. arguments, "--settle-jit"];
        }
        var load = MachineLoad.Start(repositories.Work);
        using var simulator = LongRunning.Start(ElfHost, arguments);
        await using var peak = new PeakMemory(simulator.Process.Id);
        await simulator.WaitAsync(DrainTimeout);
        var window = load.Stop();
        var stdout = simulator.Output;
        // The simulator audits the memory itself from outside the actors (a fresh read-only SQLite connection,
        // the folder, git log / ls-tree / status through the git executable): its counts are taken as they are.
        // Under heavy load Akka's own warnings (a coordinated shutdown's phase timing out) may come before the report on
        // the same stdout: the report is the object that starts a line.
        var json = stdout.StartsWith('{') ? 0 : stdout.IndexOf("\n{", StringComparison.Ordinal) + 1;
        if (json <= 0 && !stdout.StartsWith('{')) throw new InvalidOperationException("simulate printed no JSON report: " + stdout);
        if (json > 0) Console.Error.WriteLine("simulate printed before its report: " + stdout[..json].Trim());
        using var report = JsonDocument.Parse(stdout[json..]);
        var r = report.RootElement;
        double D(string name) => r.GetProperty(name).GetDouble();
        int I(string name) => r.GetProperty(name).GetInt32();
        return new RunResult
        {
            System = spec.System, Scenario = spec.Scenario, Writers = spec.Writers, RepoFiles = spec.RepoFiles,
            CommitDelayMs = spec.CommitDelayMs, OfferedRate = spec.OfferedRate,
            Acknowledged = I("acknowledged"), SuccessRate = D("successRate"), DbRows = I("dbRows"), Files = I("files"),
            RecordsInGit = I("recordsInGit"), StateConsistency = D("stateConsistency"), GitConsistency = D("gitConsistency"),
            WallSeconds = D("wallSeconds"), RecordsPerSecond = D("recordsPerSecond"),
            SteadyRecordsPerSecond = r.TryGetProperty("steadyRecordsPerSecond", out var steady) && steady.ValueKind == JsonValueKind.Number ? steady.GetDouble() : null,
            SteadyRecordsPerSecondBetweenEdgeCommits = r.TryGetProperty("steadyRecordsPerSecondBetweenEdgeCommits", out var edges) && edges.ValueKind == JsonValueKind.Number ? edges.GetDouble() : null,
            AckP50Ms = D("ackP50Ms"), AckP99Ms = D("ackP99Ms"), CommitP50Ms = D("commitP50Ms"), CommitP99Ms = D("commitP99Ms"),
            Commits = I("commits"), PeakMemoryMb = peak.Megabytes, Load = window,
            Note = r.GetProperty("workingTreeClean").GetBoolean() ? null : "working tree not clean",
        };
    }

    private static RunResult Tally(RunSpec spec, string run, string repository, string? startCommit, Outcome[] outcomes,
        IReadOnlyDictionary<int, long> committedAt, long started, long finished, double? peakMb, string? note)
    {
        var census = MemoryCensus.Take(repository, run, startCommit);
        var acknowledged = outcomes.Where(o => o.ExitCode == 0).Select(o => o.Writer).ToHashSet();
        // A record is in a consistent state when its row and its file agree with what its writer was told.
        var consistent = outcomes.Count(o =>
            census.Rows.Contains(o.Writer) == acknowledged.Contains(o.Writer) && census.Files.Contains(o.Writer) == acknowledged.Contains(o.Writer));
        var ack = Histogram();
        var commit = Histogram();
        foreach (var o in outcomes.Where(o => o.ExitCode == 0))
        {
            ack.RecordValue(Microseconds(o.Ended - o.Started));
            if (committedAt.TryGetValue(o.Writer, out var at)) commit.RecordValue(Microseconds(Math.Max(0, at - o.Started)));
        }
        var wall = (finished - started) / (double)Stopwatch.Frequency;
        var errors = outcomes.Where(o => o.ExitCode != 0).Select(o => o.Error.Trim()).Where(e => e.Length > 0)
            .GroupBy(e => e.Split('\n')[0]).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()}× {g.Key}").FirstOrDefault();
        return new RunResult
        {
            System = spec.System, Scenario = spec.Scenario, Writers = spec.Writers, RepoFiles = spec.RepoFiles,
            CommitDelayMs = spec.CommitDelayMs, OfferedRate = spec.OfferedRate,
            Acknowledged = acknowledged.Count,
            SuccessRate = Percent(acknowledged.Count, spec.Writers),
            DbRows = census.Rows.Count,
            Files = census.Files.Count,
            RecordsInGit = census.InGitOnce.Count,
            StateConsistency = Percent(consistent, spec.Writers),
            GitConsistency = Percent(acknowledged.Count(census.InGitOnce.Contains), acknowledged.Count),
            WallSeconds = Math.Round(wall, 3),
            RecordsPerSecond = Math.Round(census.InGitOnce.Count / wall, 1),
            AckP50Ms = Millis(ack, 50), AckP99Ms = Millis(ack, 99),
            CommitP50Ms = Millis(commit, 50), CommitP99Ms = Millis(commit, 99),
            Commits = census.Commits,
            PeakMemoryMb = peakMb,
            Note = note ?? errors,
        };
    }

    public sealed record Outcome(int Writer, long Started, long Ended, int ExitCode, string Error);

    /// <summary>
    /// Starts <paramref name="count"/> writers, each `bash -c` with its command line, one after another as fast as
    /// the machine allows (every writer is running before the first ones end), and waits for them all.
    /// </summary>
    public static async Task<Outcome[]> LaunchAllAsync(int count, Func<int, string> commandLine)
    {
        var writers = new List<Task<Outcome>>(count);
        for (var i = 0; i < count; i++)
        {
            var (file, arguments) = Measure.Bash(commandLine(i));
            writers.Add(WriterAsync(i, file, arguments));
        }
        return await Task.WhenAll(writers);
    }

    private static async Task<Outcome> WriterAsync(int writer, string file, string[] arguments)
    {
        var started = Stopwatch.GetTimestamp();
        using var process = Start(file, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var ended = Stopwatch.GetTimestamp();
        await stdout;
        return new Outcome(writer, started, ended, process.ExitCode, await stderr);
    }

    private static Process Start(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + file);
        return process;
    }

    /// <summary>A host, simulator or worker: its output is drained from the start so it never blocks on a full pipe.</summary>
    private sealed class LongRunning : IDisposable
    {
        private readonly Task<string> _stdout;
        private readonly Task<string> _stderr;

        private LongRunning(Process process)
        {
            Process = process;
            _stdout = process.StandardOutput.ReadToEndAsync();
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public Process Process { get; }
        public string Output => _stdout.Result;

        public static LongRunning Start(string file, IEnumerable<string> arguments) => new(Systems.Start(file, arguments));

        public async Task WaitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await Process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }
            await _stdout;
            await _stderr;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static string Title(string run, int writer) => $"Bench {run} w{writer} failure";

    private static LongHistogram Histogram() => new(3_600_000_000L, 3); // microseconds, up to an hour

    private static long Microseconds(long ticks) => Math.Max(1, ticks * 1_000_000 / Stopwatch.Frequency);

    private static double Millis(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 1);

    private static double Percent(int part, int whole) => whole == 0 ? 0 : Math.Round(100.0 * part / whole, 2);
}
