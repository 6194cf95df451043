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
        var warmUp = new Option<int?>("--warm-up")
        {
            Description = $"Records before the loop, each started directly (default: the loop's own iterations, in batches of {WarmUpBatch} records, until the host has made {MinWarmUpCommits} commits and its tier-up JIT has settled, at most {MaxWarmUp}; 20 was the fixed warm-up before ADR 0069).",
        };
        var timeline = new Option<string?>("--timeline")
        {
            Description = "Write each measured record's window to this file (the host's pid, then: iteration, start and end in CLOCK_MONOTONIC ns, as `perf record -k monotonic` stamps events), to line it up with a trace (ADR 0073).",
        };
        var command = new Command("hotpath", "One record against a warm host: wall time through `bash -c` vs `bash -c /bin/true`, client CPU vs an empty AOT program and /bin/true.")
        {
            records, elfDirectory, emptyAot, warmUp, timeline,
        };
        command.SetAction(async parse =>
        {
            var work = Path.Combine(Path.GetTempPath(), "elf-hotpath-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(work);
            try
            {
                var elf = Path.Combine(parse.GetValue(elfDirectory) ?? await Measure.PublishAsync(Path.Combine(work, "elf")), "elf");
                var empty = parse.GetValue(emptyAot) ?? await PublishEmptyAotAsync(Path.Combine(work, "empty-aot"));
                var result = await MeasureAsync(elf, empty, work, parse.GetValue(records), parse.GetValue(warmUp));
                if (parse.GetValue(timeline) is { } timelineFile)
                    await File.WriteAllLinesAsync(timelineFile, [Invariant($"host {result.HostPid}"), .. result.ElfWindows.Select((w, i) => Invariant($"{i} {w.Start} {w.End}"))]);
                Console.WriteLine(Invariant($"Hot path: {result.Records} records, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {result.Load.Describe()}"));
                Console.WriteLine(result.DescribeWarmUp());
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
                if (result.HostJitMsPerRecord is { } jit)
                    Console.WriteLine(Invariant($"| of which the runtime's tier-up JIT (its tiered-compilation thread) | – | – | – | {jit:0.00} (mean) | – |"));
                if (result.FileCreateMs.Count > 0)
                    Console.WriteLine(Invariant($"| creating an empty file in the records' folder, after the loop ({result.FileCreateMs.Count}; ext4 without a journal skips inodes freed in the last minutes, ADR 0078) | {P(result.FileCreateMs, 0.5):0.00} | {P(result.FileCreateMs, 0.9):0.00} | {P(result.FileCreateMs, 0.99):0.00} | – | – |"));
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

        /// <summary>The part of <see cref="HostCpuMsPerRecord"/> that the runtime's tiered-compilation thread took: methods recompiled optimised once hot.</summary>
        public double? HostJitMsPerRecord { get; init; }

        /// <summary>Wall ms of each exclusive create of an empty file in the records' folder after the loop (<see cref="TimeFileCreates"/>).</summary>
        public List<double> FileCreateMs { get; init; } = [];

        /// <summary>Records the host stored before the loop, and whether its tier-up JIT had settled by then (null: a fixed count was asked for).</summary>
        public (int Records, bool? Settled) WarmUp { get; init; }

        /// <summary>The host's process id, and each measured record's window (Stopwatch timestamps: CLOCK_MONOTONIC ns on Linux).</summary>
        public int HostPid { get; init; }

        public List<(long Start, long End)> ElfWindows { get; } = [];

        public string DescribeWarmUp() => WarmUp.Settled switch
        {
            true => Invariant($"Warm host: {WarmUp.Records} records before the loop (the loop's iterations), until its tier-up JIT settled (≤ {SettledJitMs} ms of it in each of the last {SettledBatches} batches of {WarmUpBatch}, each with the pause after it) and it had made at least {MinWarmUpCommits} commits"),
            false => Invariant($"Host NOT warm: its tier-up JIT had not settled, or it had made fewer than {MinWarmUpCommits} commits, after {WarmUp.Records} records (the most the warm-up runs)"),
            null => Invariant($"Host warmed with {WarmUp.Records} records (fixed, --warm-up); its tier-up JIT may still run in the loop (see the host's JIT row)"),
        };
    }

    /// <summary>Warm-up records are run in batches of this many (half as many iterations of the loop); the host's tier-up JIT is read after each.</summary>
    internal const int WarmUpBatch = 20;

    /// <summary>The most records the warm-up runs before it gives up waiting for the tier-up JIT to settle.</summary>
    internal const int MaxWarmUp = 2000;

    /// <summary>
    /// A batch (and the pause after it) during which the host's tiered-compilation thread took at most this much CPU (one
    /// clock tick) is quiet; <see cref="SettledBatches"/> in a row end the warm-up.
    /// </summary>
    internal const double SettledJitMs = 10;

    /// <summary>Quiet batches in a row that end the warm-up: a lull of two was measured before another 50 ms of tier-up (ADR 0069).</summary>
    internal const int SettledBatches = 3;

    /// <summary>The fewest records the warm-up runs: the runtime starts counting a method's calls only after a lull, so the first batches look quiet.</summary>
    internal const int MinWarmUp = 100;

    /// <summary>
    /// The fewest commits the host has made when the warm-up ends: what runs once a commit (the commit path, and the
    /// framework code under it) is recompiled only after 30 calls counted once the runtime's call-counting delay has
    /// passed, so batches without tier-up say nothing before that. The JIT's quiet alone ended the warm-up after 180–320
    /// records (about 25–40 commits), and the measured loop then recompiled the commit path (ADR 0082).
    /// </summary>
    internal const int MinWarmUpCommits = 60;

    /// <summary>The commits on the memory's branch (`git rev-list --count HEAD`).</summary>
    private static async Task<int> CommitsAsync(string memory)
    {
        using var git = Process.Start(new ProcessStartInfo("git", ["-C", memory, "rev-list", "--count", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var output = await git.StandardOutput.ReadToEndAsync();
        await git.WaitForExitAsync();
        return git.ExitCode == 0 && int.TryParse(output.Trim(), CultureInfo.InvariantCulture, out var commits) ? commits : 0;
    }

    /// <summary>
    /// Starts a host for a fresh memory in <paramref name="work"/>, warms it up (<see cref="WarmUpAsync"/>: until its tier-up
    /// JIT has settled, or <paramref name="warmUpRecords"/> records), then runs the interleaved loop <paramref name="records"/> times, inside one <see cref="LoadWindow"/>.
    /// </summary>
    public static async Task<Result> MeasureAsync(string elf, string emptyAot, string work, int records, int? warmUpRecords = null)
    {
        var memory = Path.Combine(work, "hotpath-" + Guid.NewGuid().ToString("N")[..8]);
        // A running host, warmed up (the first records JIT-compile the host's code paths).
        using var host = Process.Start(new ProcessStartInfo(elf, ["serve", "--base", memory]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
        _ = host.StandardOutput.ReadToEndAsync();
        _ = host.StandardError.ReadToEndAsync();
        Result measured;
        try
        {
            await Measure.WaitForHostAsync(elf, memory, host);
            var warmUp = await WarmUpAsync(elf, emptyAot, memory, host.Id, warmUpRecords);
            await Measure.ProcessAsync(elf, ["flush", "--base", memory]);

            var result = new Result(records, [], [], [], [], [], null!) { WarmUp = warmUp, HostPid = host.Id };
            var hostCpuBefore = ProcessCpuMs(host.Id);
            var jitBefore = HostThreads.Read(host.Id);
            var load = MachineLoad.Start(work);
            for (var i = 0; i < records; i++)
            {
                await IterationAsync(elf, emptyAot, memory, $"Hot path {i}", result);
                if (i % 50 == 49) Console.Error.WriteLine($"… {i + 1}/{records}");
            }
            var window = load.Stop();
            var hostCpuAfter = ProcessCpuMs(host.Id);
            var jit = HostThreads.TierUpJitMsSince(jitBefore, HostThreads.Read(host.Id));
            measured = result with
            {
                Load = window,
                HostCpuMsPerRecord = hostCpuBefore is { } before && hostCpuAfter is { } after ? (after - before) / (2.0 * records) : null,
                HostJitMsPerRecord = jit / (2.0 * records),
            };
        }
        finally
        {
            await Measure.ExitCodeAsync(elf, ["stop", "--base", memory]);
            await host.WaitForExitAsync();
        }
        // After the host stopped: files of the probe's own in the records' folder, removed with the work folder.
        return measured with { FileCreateMs = TimeFileCreates(Path.Combine(memory, "memory", "failures")) };
    }

    /// <summary>Empty files the probe creates after the loop (<see cref="TimeFileCreates"/>).</summary>
    internal const int FileCreateProbes = 200;

    /// <summary>
    /// Times <see cref="FileCreateProbes"/> exclusive creates of empty files in <paramref name="folder"/>, where the host
    /// created the records' files (ext4 allocates a file's inode in its folder's block group). On ext4 without a journal
    /// (this machine's) every create skips, one by one, the inodes freed there in the last 30–330 s, by anyone
    /// (docs/performance.md, "A run right after a large deletion"): a cost on every record's path, before its answer, that
    /// the load figures count as the run's own CPU. So a run shows the disk's state it was measured in (ADR 0078).
    /// </summary>
    internal static List<double> TimeFileCreates(string folder)
    {
        var times = new List<double>(FileCreateProbes);
        for (var i = 0; i < FileCreateProbes; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using (new FileStream(Path.Combine(folder, $".create-probe-{i}"), FileMode.CreateNew, FileAccess.Write)) { }
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return times;
    }

    /// <summary>
    /// The records before the loop: <paramref name="fixedCount"/> started directly, or the loop's own iterations in
    /// batches of <see cref="WarmUpBatch"/> records until <see cref="SettledBatches"/> in a row saw the host's tier-up JIT
    /// take at most <see cref="SettledJitMs"/> (a host that has stored 20 records recompiles its hot methods for about 250
    /// more: ADR 0069) and the host has made <see cref="MinWarmUpCommits"/> commits, at least <see cref="MinWarmUp"/>
    /// records and at most <see cref="MaxWarmUp"/>. The loop's own iterations (records back to back until ADR 0082) warm
    /// what the loop runs at the loop's pace: its clients through `bash -c`, a commit every few records, sync's round
    /// a second after commits.
    /// </summary>
    private static async Task<(int Records, bool? Settled)> WarmUpAsync(string elf, string emptyAot, string memory, int hostPid, int? fixedCount)
    {
        if (fixedCount is { } count)
        {
            for (var i = 0; i < count; i++) await Measure.ProcessAsync(elf, Record(memory, $"Warm-up {i}"));
            return (count, null);
        }
        var done = 0;
        var quietBatches = 0;
        while (done < MaxWarmUp)
        {
            var before = HostThreads.Read(hostPid);
            // The loop's own iterations (two records each, with its other programs between them), at the loop's pace (ADR 0082).
            for (var i = 0; i < WarmUpBatch; i += 2, done += 2) await IterationAsync(elf, emptyAot, memory, $"Warm-up {done}", measured: null);
            await TierUpDrainedAsync(hostPid);
            quietBatches = HostThreads.TierUpJitMsSince(before, HostThreads.Read(hostPid)) <= SettledJitMs ? quietBatches + 1 : 0;
            if (quietBatches >= SettledBatches && done >= MinWarmUp && await CommitsAsync(memory) >= MinWarmUpCommits) return (done, true);
        }
        return (done, false);
    }

    /// <summary>
    /// Waits (at most 5 s) until the host's tier-up JIT has nothing left to do: the runtime recompiles a hot method only once
    /// 100 ms have passed without a method compiled for the first time, and records back to back keep postponing it, so
    /// what a batch made hot is compiled in the pause after it, not in the batch (ADR 0069).
    /// </summary>
    private static async Task TierUpDrainedAsync(int hostPid)
    {
        var last = HostThreads.Read(hostPid);
        for (var waited = 0; waited < 5000; waited += 250)
        {
            await Task.Delay(250);
            var now = HostThreads.Read(hostPid);
            if (HostThreads.TierUpJitMsSince(last, now) == 0) return;
            last = now;
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

    /// <summary>
    /// One iteration of the loop: `bash -c /bin/true`, a record through `bash -c`, `/bin/true`, the empty AOT program and
    /// a record started directly; timed into <paramref name="measured"/>, or not timed (the warm-up's).
    /// </summary>
    private static async Task IterationAsync(string elf, string emptyAot, string memory, string title, Result? measured)
    {
        var trueWall = await Measure.ProcessAsync("/bin/bash", ["-c", "/bin/true"]);
        var start = Stopwatch.GetTimestamp();
        var elfWall = await Measure.ProcessAsync("/bin/bash", ["-c", Measure.CommandLine(elf, Record(memory, title))]);
        var end = Stopwatch.GetTimestamp();
        var trueCpu = await CpuAsync("/bin/true", []);
        var emptyAotCpu = await CpuAsync(emptyAot, []);
        var elfCpu = await CpuAsync(elf, Record(memory, title + " direct"));
        if (measured is null) return;
        measured.TrueWall.Add(trueWall);
        measured.ElfWall.Add(elfWall);
        measured.ElfWindows.Add((start, end));
        measured.TrueCpu.Add(trueCpu);
        measured.EmptyAotCpu.Add(emptyAotCpu);
        measured.ElfCpu.Add(elfCpu);
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
