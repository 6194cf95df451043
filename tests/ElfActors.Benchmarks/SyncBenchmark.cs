using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Benchmarks;

/// <summary>
/// Many machines, one memory (docs/sync.md): a bare remote and three clones, each with its own host syncing every
/// <c>--interval</c> seconds, each written to by <c>--clients</c> concurrent `elf record-failure` calls. Reports the
/// records acknowledged per second across the three hosts and the convergence time of each record: from its
/// acknowledgement to the moment it is in every clone's branch (`git ls-tree`, polled from outside), p50 / p99 / max.
/// </summary>
internal static class SyncBenchmark
{
    private const int Clones = 3;

    public static Command Create()
    {
        var records = new Option<int>("--records") { Description = "Records each of the three hosts is given.", DefaultValueFactory = _ => 200 }.InRange(1, 100_000);
        var clients = new Option<int>("--clients") { Description = "Concurrent writers per host.", DefaultValueFactory = _ => 3 }.InRange(1, 64);
        var interval = new Option<int>("--interval") { Description = "Each host's sync interval ($ELF_SYNC_INTERVAL), seconds.", DefaultValueFactory = _ => 1 }.InRange(1, 600);
        var elfDirectory = new Option<string?>("--elf") { Description = "Folder with a published elf + elf-host (default: publish src/ElfActors.Cli now)." };
        var command = new Command("sync", "Three hosts, one git remote: records/s across them and convergence time (acknowledged → on every clone's branch), p50/p99.")
        {
            records, clients, interval, elfDirectory,
        };
        command.SetAction(async parse => await RunAsync(parse.GetValue(records), parse.GetValue(clients), parse.GetValue(interval), parse.GetValue(elfDirectory)));
        return command;
    }

    private static async Task<int> RunAsync(int perClone, int clients, int interval, string? elfDirectory)
    {
        var work = Path.Combine(Path.GetTempPath(), "elf-bench-sync-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var clones = Enumerable.Range(0, Clones).Select(i => Path.Combine(work, "clone" + i)).ToList();
        string? elf = null;
        try
        {
            elf = Path.Combine(elfDirectory ?? await Measure.PublishAsync(Path.Combine(work, "elf")), "elf");
            var remote = Path.Combine(work, "remote.git");
            var seed = Path.Combine(work, "seed");
            await Git(work, "init", "-q", "--bare", "-b", "main", remote);
            await Git(work, "clone", "-q", remote, seed);
            await File.WriteAllTextAsync(Path.Combine(seed, "README.md"), "one memory, three machines\n");
            await Git(seed, "add", "README.md");
            await Git(seed, "-c", "user.name=P", "-c", "user.email=p@x", "commit", "-qm", "seed");
            await Git(seed, "push", "-q", "origin", "HEAD:main");
            for (var i = 0; i < Clones; i++)
            {
                await Git(work, "clone", "-q", remote, clones[i]);
                await Git(clones[i], "config", "user.name", "Machine " + i);
                await Git(clones[i], "config", "user.email", $"m{i}@x");
            }
            var environment = new Dictionary<string, string> { ["ELF_SYNC_INTERVAL"] = interval.ToString(CultureInfo.InvariantCulture) };
            foreach (var clone in clones)
            {
                // Each host started (and synced once) before the clock starts: `elf sync --now` starts one; its round may fail on an empty clone.
                try { await Elf(elf, environment, "sync", "--now", "--base", clone, "--timeout", "60"); }
                catch (InvalidOperationException e) { Console.Error.WriteLine("    (warm-up) " + e.Message.Split('\n')[0]); }
            }

            Console.Error.WriteLine($"{Clones} hosts × {perClone} records, {clients} writers each, sync every {interval} s…");
            var clock = Stopwatch.StartNew();
            var acknowledged = new ConcurrentDictionary<string, double>(StringComparer.Ordinal); // path → ms
            var converged = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
            var load = MachineLoad.Start(work);
            using var stop = new CancellationTokenSource();
            var poller = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var sets = new List<HashSet<string>>();
                    foreach (var clone in clones)
                        sets.Add((await Git(clone, "ls-tree", "-r", "--name-only", "main", "--", "memory/failures")).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
                    var now = clock.Elapsed.TotalMilliseconds;
                    foreach (var path in acknowledged.Keys)
                        if (!converged.ContainsKey(path) && sets.All(s => s.Contains(path))) converged[path] = now;
                    try { await Task.Delay(100, stop.Token); }
                    catch (OperationCanceledException) { }
                }
            });
            var writers = clones.SelectMany((clone, c) => Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
            {
                for (var i = w; i < perClone; i += clients)
                {
                    var output = await Elf(elf, environment, "record-failure", "--base", clone, "--title", $"sync bench {c} {i}", "--domain", "bench",
                        "--summary", "written on clone " + c, "--json", "--request-id", $"bench-{c}-{i}");
                    using var json = JsonDocument.Parse(output);
                    acknowledged[json.RootElement.GetProperty("record").GetProperty("path").GetString()!] = clock.Elapsed.TotalMilliseconds;
                }
            }))).ToList();
            await Task.WhenAll(writers);
            var written = clock.Elapsed.TotalSeconds;
            var deadline = TimeSpan.FromSeconds(300 + interval * 10);
            while (converged.Count < acknowledged.Count && clock.Elapsed < deadline) await Task.Delay(200);
            var convergedAll = clock.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            await poller;
            var window = load.Stop();

            var total = Clones * perClone;
            var latencies = converged.Select(c => c.Value - acknowledged[c.Key]).ToList();
            Console.WriteLine(Invariant($"Sync: {Clones} hosts × {perClone} records, {clients} writers each, sync every {interval} s, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
            Console.WriteLine(Invariant($"  records/s across the hosts (acknowledged): {acknowledged.Count / written:0.0} ({acknowledged.Count} of {total} in {written:0.0} s)"));
            Console.WriteLine(Invariant($"  on every clone's branch: {converged.Count} of {acknowledged.Count}, the last {convergedAll - written:0.0} s after the last was written"));
            if (latencies.Count > 0)
                Console.WriteLine(Invariant($"  convergence (acknowledged → on every clone): p50 {Measure.Percentile(latencies, 0.5) / 1000:0.00} s, p99 {Measure.Percentile(latencies, 0.99) / 1000:0.00} s, max {latencies.Max() / 1000:0.00} s"));
            Console.WriteLine($"  load: {window.Describe()}{(window.Valid ? "" : "  INVALID (another process used the machine)")}");
            return converged.Count == total && window.Valid ? 0 : 1;
        }
        finally
        {
            if (elf is not null)
                foreach (var clone in clones.Where(Directory.Exists))
                {
                    try { await Elf(elf, null, "stop", "--base", clone); }
                    catch (InvalidOperationException) { }
                }
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static Task<string> Git(string directory, params string[] arguments) => Run("git", arguments, directory, null);

    private static Task<string> Elf(string elf, IReadOnlyDictionary<string, string>? environment, params string[] arguments) => Run(elf, arguments, null, environment);

    /// <summary>Runs a process that must succeed; its stdout.</summary>
    private static async Task<string> Run(string file, string[] arguments, string? directory, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null) start.WorkingDirectory = directory;
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
