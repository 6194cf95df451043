using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// Many machines, one memory (docs/sync.md): a bare remote and three clones, each with its own host process, records and
/// heuristics and decisions written concurrently while each host syncs every second; one host killed with -9 while it
/// pushes and started again; the remote unreachable for a while. Checked with git, sqlite3 and the remote's reflog directly.
/// CI size: 3 × 60 records, 30 heuristics and 6 decisions; ELF_SYNC_RECORDS / ELF_SYNC_HEURISTICS / ELF_SYNC_DECISIONS scale
/// it (scripts/fault-matrix: 500, 200 and 60);
/// ELF_SYNC_KEEP=1 keeps the remote and the clones for a look afterwards.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
[Trait("Category", "FaultMatrix")]
public sealed partial class SyncEndToEndTests(PublishedElf elf, ITestOutputHelper output) : IDisposable
{
    private const int Clones = 3;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "elf-sync-e2e-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly Dictionary<string, string> _environment = new() { ["ELF_SYNC_INTERVAL"] = "1" };

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    private Task<ProcessResult> Elf(params string[] arguments) => elf.RunAsync(arguments, _environment, TimeSpan.FromSeconds(180));

    [Fact]
    public async Task Three_clones_converge_through_a_remote_despite_a_kill_nine_mid_push_and_an_unreachable_remote()
    {
        var perClone = Setting("ELF_SYNC_RECORDS", 60);
        var heuristics = Setting("ELF_SYNC_HEURISTICS", 30);
        var decisions = Setting("ELF_SYNC_DECISIONS", 6);
        var started = Stopwatch.StartNew();
        var remote = Path.Combine(_root, "remote.git");
        Tools.GitBareRemote(remote, new Dictionary<string, string> { ["README.md"] = "one memory, many machines\n" });
        var clones = Enumerable.Range(0, Clones).Select(i => Tools.GitClone(remote, Path.Combine(_root, "clone" + i), "Machine " + i, $"m{i}@x")).ToList();

        // The load: every clone records its share concurrently (3 clients each), heuristics on one shared domain among them.
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(); // request id → path
        var writers = clones.Select((clone, c) => Task.Run(() => WriteAsync(clone, c, perClone, heuristics, decisions, acknowledged))).ToList();

        // kill -9 of clone 1's host while it runs `git push` (its child), then the next `elf` call starts a new host.
        var killed = await KillWhilePushingAsync(clones[1], TimeSpan.FromSeconds(60));
        output.WriteLine(killed ? "clone1's host killed with -9 while its git push ran" : "no push seen within 60 s: clone1's host killed with -9 anyway");
        // The remote unreachable for a while: every round fails (offline), commits stay local.
        var away = remote + ".away";
        Directory.Move(remote, away);
        await Task.Delay(TimeSpan.FromSeconds(3)); // the length of the outage, not a synchronisation
        MoveBack(away, remote);
        await Task.WhenAll(writers);
        output.WriteLine($"load written in {started.Elapsed.TotalSeconds:0.0} s; {acknowledged.Count} acknowledged");

        // Converge: `elf sync --now` on each clone until every tip is the remote's. At least 8 rounds, and for 75 s: the
        // killed host's push, left running, may have held the remote's branch lock when the remote was moved away, and
        // left it behind; sync removes it once elf.committer.stale-lock-age (60 s) has passed (SyncRemoteLockTests).
        var remoteTip = "";
        var converging = Stopwatch.StartNew();
        for (var round = 0; round < 8 || converging.Elapsed < TimeSpan.FromSeconds(75); round++)
        {
            foreach (var clone in clones)
            {
                var sync = await Elf("sync", "--now", "--base", clone, "--timeout", "120");
                output.WriteLine($"round {round} {Path.GetFileName(clone)}: {sync.ExitCode} {sync.Stdout.Trim()} {sync.Stderr.Trim()}");
            }
            remoteTip = Tools.Git(remote, "rev-parse", "main").Trim();
            if (clones.All(clone => Tools.Git(clone, "rev-parse", "main").Trim() == remoteTip)) break;
        }
        // The branch moves before the index's rows for what arrived are added (both within one integration, on the
        // committer's thread): a flush, queued behind it there, returns once a round that moved a tip is all done.
        foreach (var clone in clones)
        {
            var flush = await Elf("flush", "--base", clone);
            Assert.True(flush.ExitCode == 0, $"{Path.GetFileName(clone)}: {flush}");
        }
        // Each assertion names the clone and what differed, so that a failure in CI is diagnosable from its log.
        foreach (var clone in clones)
        {
            var tip = Tools.Git(clone, "rev-parse", "main").Trim();
            Assert.True(tip == remoteTip, $"{Path.GetFileName(clone)}: main is {tip}, the remote's is {remoteTip} ({Tools.Git(clone, "status", "-sb").Split('\n')[0]})");
        }

        // Every acknowledged record in the tip, each committed once (trailer keys counted over the remote's history).
        var learnings = acknowledged.Where(a => a.Key.StartsWith("r-", StringComparison.Ordinal)).Select(a => a.Value).ToList();
        Assert.True(learnings.Count == Clones * perClone, $"{learnings.Count} learnings acknowledged, expected {Clones * perClone}");
        var tree = Tools.Git(remote, "ls-tree", "-r", "--name-only", remoteTip).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var lost = learnings.Count(path => !tree.Contains(path));
        var log = Tools.Git(remote, "log", "--format=%B", remoteTip);
        var keys = TrailerLine().Matches(log).Select(m => m.Groups[1].Value).ToList();
        var duplicated = keys.GroupBy(k => k).Count(g => g.Count() > 1);
        var keyedPaths = TrailerLine().Matches(log).Select(m => m.Groups[2].Value).Where(p => p.StartsWith("memory/failures/", StringComparison.Ordinal)).ToList();
        output.WriteLine($"lost = {lost}, duplicated = {duplicated}; {keys.Count} trailers, {tree.Count(p => p.StartsWith("memory/failures/", StringComparison.Ordinal))} failure files in the tip");
        Assert.True(lost == 0, "not in the remote's tip: " + string.Join(", ", learnings.Where(path => !tree.Contains(path)).Take(20)));
        Assert.True(duplicated == 0, "keys in several commits: " + string.Join(", ", keys.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}").Take(20)));
        Assert.True(keyedPaths.Count == learnings.Count && keyedPaths.Distinct().Count() == learnings.Count,
            $"{keyedPaths.Count} failure trailers naming {keyedPaths.Distinct().Count()} files, expected {learnings.Count} each");

        // Every decision's file in the tip, each named by one trailer.
        var decisionFiles = acknowledged.Where(a => a.Key.StartsWith("d-", StringComparison.Ordinal)).Select(a => a.Value).ToList();
        Assert.True(decisionFiles.Count == decisions && decisionFiles.All(tree.Contains), $"{decisionFiles.Count} decisions acknowledged (expected {decisions}); "
            + "not in the remote's tip: " + string.Join(", ", decisionFiles.Where(path => !tree.Contains(path))));
        var trailerKeys = TrailerLine().Matches(log).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

        // All heuristics in the one domain file, each once, on every clone.
        var domainFile = Tools.Git(remote, "show", remoteTip + ":memory/heuristics/shared.md");
        var entryCounts = Enumerable.Range(0, heuristics).Select(h => (h, Count: Regex.Matches(domainFile, $"^## H-\\d+: shared rule {h}\n", RegexOptions.Multiline).Count)).ToList();
        Assert.True(entryCounts.All(e => e.Count == 1), "heuristics not once in the remote's domain file: " + string.Join(", ", entryCounts.Where(e => e.Count != 1).Select(e => $"rule {e.h} ×{e.Count}")));
        // Each commit that adds entries to it names each of them (Elf-Entry): a clone that fetched that commit alone keys them by it (docs/adr/0066).
        var unnamed = Tools.Git(remote, "rev-list", "--no-merges", remoteTip).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(commit => (commit, Shown: Tools.Git(remote, "show", "--format=%B", commit, "--", "memory/heuristics/shared.md")))
            .Select(c => (c.commit, Added: Regex.Matches(c.Shown, @"^\+## H-\d+: ", RegexOptions.Multiline).Count, Named: Regex.Matches(c.Shown, "^Elf-Entry: ", RegexOptions.Multiline).Count))
            .Where(c => c.Added != c.Named).ToList();
        Assert.True(unnamed.Count == 0, "commits adding entries their Elf-Entry trailers do not name: " + string.Join(", ", unnamed.Select(c => $"{c.commit[..12]} adds {c.Added}, names {c.Named}")));

        foreach (var clone in clones)
        {
            // Every index has every row (local numbering, arrived ones included), verify is consistent, git agrees the repository is sound.
            var name = Path.GetFileName(clone);
            var database = Path.Combine(clone, "memory", "index.db");
            var rows = Tools.SqliteScalar(database, "SELECT COUNT(*) FROM learnings");
            Assert.True(rows == Clones * perClone, $"{name}: {rows} learnings rows, expected {Clones * perClone}");
            var heuristicRows = Tools.Sqlite(database, "SELECT rule FROM heuristics").Select(r => r[0]).ToList();
            Assert.True(heuristicRows.Count == heuristics && heuristicRows.Distinct().Count() == heuristics,
                $"{name}: {heuristicRows.Count} heuristics rows ({heuristicRows.Distinct().Count()} distinct rules), expected {heuristics}; missing: "
                + string.Join(", ", Enumerable.Range(0, heuristics).Select(h => $"shared rule {h}").Except(heuristicRows).Take(20)));
            // Arrived decisions have rows too, each keyed as its trailer on the remote keys it (docs/adr/0036): the key, not ELF's number, is shared.
            var decisionRows = Tools.Sqlite(database, "SELECT o.record_key, o.relpath FROM decisions d JOIN elf_outbox o ON o.row_table = 'decisions' AND o.row_id = d.id");
            Assert.True(decisionRows.Count == decisions && decisionRows.All(r => trailerKeys.GetValueOrDefault(r[0]) == r[1]),
                $"{name}: {decisionRows.Count} decisions rows (expected {decisions}); keyed unlike the remote's trailers: "
                + string.Join(", ", decisionRows.Where(r => trailerKeys.GetValueOrDefault(r[0]) != r[1]).Select(r => $"{r[1]} {r[0]}")));
            // Every heuristic has the same key on every clone (its writer's, from its Elf-Entry trailer).
            var heuristicKeys = Tools.Sqlite(database, "SELECT o.record_key FROM heuristics h JOIN elf_outbox o ON o.row_table = 'heuristics' AND o.row_id = h.id")
                .Select(r => r[0]).ToHashSet();
            Assert.True(heuristicKeys.Count == heuristics && heuristicKeys.All(trailerKeys.ContainsKey),
                $"{name}: {heuristicKeys.Count} keyed heuristics rows (expected {heuristics}); keys no trailer on the remote names: {string.Join(", ", heuristicKeys.Where(k => !trailerKeys.ContainsKey(k)).Take(10))}");
            var local = File.ReadAllText(Path.Combine(clone, "memory/heuristics/shared.md"));
            Assert.True(local == domainFile, $"{name}: memory/heuristics/shared.md differs from the remote's ({local.Length} vs {domainFile.Length} characters); "
                + $"entries only here: {string.Join(" | ", Headings(local).Except(Headings(domainFile)).Take(10))}; only in the remote's: {string.Join(" | ", Headings(domainFile).Except(Headings(local)).Take(10))}");
            var verify = await Elf("verify", "--base", clone);
            Assert.True(verify.ExitCode == 0, $"{name}: {verify}");
            var fsck = Tools.Run("git", clone, "fsck", "--strict");
            Assert.True(fsck.ExitCode == 0, $"{name}: git fsck --strict: {fsck.Stderr}");
            var changed = Tools.Git(clone, "status", "--porcelain").Split('\n').Where(line => line.Length > 2 && line[..2].Trim() is "M" or "D" or "A" or "U").ToList();
            Assert.True(changed.Count == 0, $"{name}: git status shows tracked changes: {string.Join(" | ", changed.Take(10))}");
        }

        // Never forced: each move of the remote's branch went from a commit to one of its descendants.
        var reflog = File.ReadAllLines(Path.Combine(remote, "logs", "refs", "heads", "main"));
        foreach (var line in reflog)
        {
            var fields = line.Split(' ');
            if (fields[0].All(ch => ch == '0')) continue;
            Assert.True(Tools.Run("git", remote, "merge-base", "--is-ancestor", fields[0], fields[1]).ExitCode == 0, "the remote's branch moved backwards (forced): " + line);
        }
        output.WriteLine($"{reflog.Length} moves of the remote's branch, all forward; {started.Elapsed.TotalSeconds:0.0} s in all");
    }

    /// <summary>
    /// Puts the remote back. A push that was running when it went makes its incoming objects folder by absolute path
    /// (`remote.git/objects/tmp_objdir-incoming-…`), which recreates the remote's folder with nothing else in it: that
    /// push fails either way, and its leftover (no HEAD, no refs) is removed so that the remote can come back.
    /// </summary>
    private void MoveBack(string away, string remote)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Move(away, remote);
                return;
            }
            catch (IOException) when (attempt < 50 && Directory.Exists(remote) && !File.Exists(Path.Combine(remote, "HEAD")))
            {
                output.WriteLine("a push recreated the remote's folder while it was away: " + string.Join(", ",
                    Directory.EnumerateFileSystemEntries(remote, "*", SearchOption.AllDirectories).Take(3)));
                try { Directory.Delete(remote, recursive: true); }
                catch (IOException) { } // that push still writes there: the next attempt removes it
            }
        }
    }

    private static IEnumerable<string> Headings(string domainFile) => Regex.Matches(domainFile, "^## H-.*$", RegexOptions.Multiline).Select(m => m.Value);

    [GeneratedRegex(@"^Elf-Record: ([0-9a-f-]{36}) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TrailerLine();

    private async Task WriteAsync(string clone, int c, int records, int heuristics, int decisions, System.Collections.Concurrent.ConcurrentDictionary<string, string> acknowledged)
    {
        var work = Enumerable.Range(0, records).Select(i => (Id: $"r-{c}-{i}", Arguments: new[] { "record-failure", "--base", clone,
                "--title", $"sync {c} record {i}", "--domain", "sync", "--summary", $"written on clone {c}", "--json", "--request-id", $"r-{c}-{i}" }))
            .Concat(Enumerable.Range(0, heuristics).Where(h => h % Clones == c).Select(h => (Id: $"h-{h}", Arguments: new[] { "record-heuristic", "--base", clone,
                "--domain", "shared", "--rule", $"shared rule {h}", "--explanation", $"from clone {c}", "--json", "--request-id", $"h-{c}-{h}" })))
            .Concat(Enumerable.Range(0, decisions).Where(d => d % Clones == c).Select(d => (Id: $"d-{d}", Arguments: new[] { "record-decision", "--base", clone,
                "--title", $"sync decision {d}", "--context", $"on clone {c}", "--decision", "decided", "--rationale", "why", "--json", "--request-id", $"d-{c}-{d}" })))
            .OrderBy(w => w.Id.GetHashCode(StringComparison.Ordinal)).ToList();
        using var gate = new SemaphoreSlim(3);
        await Task.WhenAll(work.Select(async w =>
        {
            await gate.WaitAsync();
            try
            {
                // A client whose host was killed under it retries with the same request id: recorded once either way.
                for (var attempt = 1; ; attempt++)
                {
                    var result = await Elf(w.Arguments);
                    if (result.ExitCode == 0)
                    {
                        using var json = JsonDocument.Parse(result.Stdout);
                        acknowledged[w.Id] = json.RootElement.GetProperty("record").GetProperty("path").GetString()!;
                        return;
                    }
                    if (attempt >= 20) throw new InvalidOperationException($"{w.Id} failed 20 times: {result}");
                }
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Waits for clone's host to have a `git push` child, and kills the host with SIGKILL then (or at the deadline).</summary>
    private static async Task<bool> KillWhilePushingAsync(string clone, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            var host = HostPid(clone);
            if (host is { } pid && Children(pid).Select(Argv).Any(argv => argv.Length > 1 && argv[0].EndsWith("git", StringComparison.Ordinal) && argv[1] == "push"))
            {
                Process.GetProcessById(pid).Kill();
                return true;
            }
            await Task.Delay(2);
        }
        if (HostPid(clone) is { } last) Process.GetProcessById(last).Kill();
        return false;
    }

    private static int? HostPid(string basePath) => PublishedElf.HostPids(basePath).Select(pid => (int?)pid).FirstOrDefault();

    private static IEnumerable<int> Children(int parent)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(directory, "stat")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && fields[1] == parent.ToString(System.Globalization.CultureInfo.InvariantCulture)) yield return pid;
        }
    }

    private static string[] Argv(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    public void Dispose()
    {
        for (var i = 0; i < Clones; i++)
            if (HostPid(Path.Combine(_root, "clone" + i)) is { } pid) elf.RunAsync(["stop", "--base", Path.Combine(_root, "clone" + i)], _environment, TimeSpan.FromSeconds(150)).GetAwaiter().GetResult();
        if (Environment.GetEnvironmentVariable("ELF_SYNC_KEEP") == "1")
        {
            output.WriteLine("ELF_SYNC_KEEP=1: the remote and clones are kept in " + _root);
            return;
        }
        Tools.DeleteTree(_root);
    }
}
