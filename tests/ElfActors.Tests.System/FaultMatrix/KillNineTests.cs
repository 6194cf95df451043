using System.Text.Json;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// kill -9 of the host at random moments while concurrent `elf` processes record, then a Jepsen-style set check:
/// every record whose CLI exited 0 is in the DB, in a file and in exactly one commit (lost = 0), and no record
/// is anywhere twice (duplicated = 0). Records whose CLI failed may land or not, but at most once.
/// ELF_FAULT_ROUNDS and ELF_FAULT_RECORDS scale it (CI: 3 rounds of 150).
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "FaultMatrix")]
public sealed class KillNineTests(PublishedElf elf, ITestOutputHelper output)
{
    internal static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    [Fact]
    public async Task Kill_nine_of_the_host_during_a_load_loses_nothing_acknowledged_and_duplicates_nothing()
    {
        var rounds = Setting("ELF_FAULT_ROUNDS", 3);
        var recordsPerRound = Setting("ELF_FAULT_RECORDS", 150);
        var random = new Random(Setting("ELF_FAULT_SEED", Environment.TickCount));
        int totalLost = 0, totalDuplicated = 0, totalAcknowledged = 0, totalKills = 0;
        output.WriteLine("round | records | acknowledged | kills | landed | lost | duplicated | orphans");

        for (var round = 1; round <= rounds; round++)
        {
            await using var served = new ServedMemory(elf);
            using var concurrency = new SemaphoreSlim(25);
            var load = Enumerable.Range(0, recordsPerRound).Select(async i =>
            {
                await concurrency.WaitAsync();
                try
                {
                    var result = await elf.RunAsync(["record-failure", "--base", served.Base, "--title", $"Kill round {round} record {i}",
                        "--domain", "kill9", "--request-id", $"r{round}-{i}", "--json", "--timeout", "30"], timeout: TimeSpan.FromSeconds(120));
                    return (Index: i, Result: result);
                }
                finally
                {
                    concurrency.Release();
                }
            }).ToList();

            var kills = 0;
            var everything = Task.WhenAll(load);
            while (!everything.IsCompleted && kills < 3)
            {
                await Task.WhenAny(everything, Task.Delay(random.Next(150, 700)));
                if (everything.IsCompleted) break;
                if (ReadPid(served.Base) is { } pid && Tools.Run("kill", "/", "-9", pid.ToString()).ExitCode == 0) kills++;
            }
            var results = await everything;

            var acknowledged = results.Where(r => r.Result.ExitCode == 0)
                .Select(r => JsonDocument.Parse(r.Result.Stdout).RootElement.GetProperty("record"))
                .Select(r => (Id: r.GetProperty("id").GetInt64(), Path: r.GetProperty("path").GetString()!))
                .ToList();
            var flush = await elf.RunAsync(["flush", "--base", served.Base, "--timeout", "120"], timeout: TimeSpan.FromSeconds(180));
            Assert.True(flush.ExitCode == 0, $"{flush}\n--- host.log (tail) ---\n{HostLogTail(served.Base)}");
            var verify = await elf.RunAsync(["verify", "--base", served.Base], timeout: TimeSpan.FromSeconds(180));

            // The final state, read with sqlite3, the file system and git.
            var rows = Tools.Sqlite(served.Memory.DatabasePath, "SELECT id, filepath FROM learnings").ToDictionary(r => long.Parse(r[0]), r => r[1]);
            var requestRows = Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox");
            var files = Directory.EnumerateFiles(served.Memory.FailuresDirectory, "*.md").Select(f => "memory/failures/" + Path.GetFileName(f)).ToHashSet();
            var trailers = GitHistory.Log(served.Base).SelectMany(c => c.RecordTrailers).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());

            var lost = acknowledged.Count(a => !(rows.TryGetValue(a.Id, out var p) && p == a.Path && files.Contains(a.Path) && trailers.GetValueOrDefault(a.Id) == 1));
            var duplicated = trailers.Count(t => t.Value > 1) + (int)(rows.Count - requestRows) + Math.Max(0, rows.Count - recordsPerRound);
            var orphans = files.Count(f => !rows.ContainsValue(f)) + rows.Count(r => !files.Contains(r.Value)) + rows.Keys.Count(id => !trailers.ContainsKey(id));
            output.WriteLine($"{round} | {recordsPerRound} | {acknowledged.Count} | {kills} | {rows.Count} | {lost} | {duplicated} | {orphans}");
            Assert.True(verify.ExitCode == 0, $"round {round}: elf verify found an inconsistency\n{verify}");
            Assert.Equal(0, orphans);
            Assert.Empty(GitHistory.Status(served.Base));
            totalLost += lost;
            totalDuplicated += duplicated;
            totalAcknowledged += acknowledged.Count;
            totalKills += kills;
        }

        output.WriteLine($"total: {rounds} rounds, {totalKills} kills, {totalAcknowledged} acknowledged, lost = {totalLost}, duplicated = {totalDuplicated}");
        Assert.Equal(0, totalLost);
        Assert.Equal(0, totalDuplicated);
        Assert.True(totalKills > 0, "no host was killed: the scenario did not run");
    }

    private static string HostLogTail(string basePath)
    {
        var log = Path.Combine(basePath, "memory", ".elf", "host.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(40)) : "(no host.log)";
    }

    private static int? ReadPid(string basePath)
    {
        try
        {
            return int.TryParse(File.ReadAllText(HostAddress.PidFile(new MemoryPaths(basePath))).Trim(), out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
