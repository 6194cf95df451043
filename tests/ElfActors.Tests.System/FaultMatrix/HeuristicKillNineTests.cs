using System.Text.Json;
using System.Text.RegularExpressions;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// kill -9 of the host while concurrent `elf record-heuristic` processes append to one domain file: every heuristic
/// whose CLI exited 0 has its row, exactly one whole entry in the file and exactly one trailer; nothing is twice.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "FaultMatrix")]
public sealed class HeuristicKillNineTests(PublishedElf elf, ITestOutputHelper output)
{
    [Fact]
    public async Task Kill_nine_during_concurrent_heuristics_loses_no_acknowledged_entry_and_duplicates_none()
    {
        const int records = 150;
        var random = new Random(Environment.TickCount);
        await using var served = new ServedMemory(elf);
        using var concurrency = new SemaphoreSlim(25);
        var load = Enumerable.Range(0, records).Select(async i =>
        {
            await concurrency.WaitAsync();
            try
            {
                return await elf.RunAsync(["record-heuristic", "--base", served.Base, "--domain", "kill", "--rule", $"Rule {i}",
                    "--explanation", $"Because {i}", "--request-id", $"h-{i}", "--json", "--timeout", "30"], timeout: TimeSpan.FromSeconds(120));
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
            var pidFile = HostAddress.PidFile(new MemoryPaths(served.Base));
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)
                && Tools.Run("kill", "/", "-9", pid.ToString()).ExitCode == 0) kills++;
        }
        var acknowledged = (await everything).Where(r => r.ExitCode == 0)
            .Select(r => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("record").GetProperty("id").GetInt64()).ToList();
        var flush = await elf.RunAsync(["flush", "--base", served.Base, "--timeout", "120"], timeout: TimeSpan.FromSeconds(180));
        Assert.True(flush.ExitCode == 0, flush.ToString());
        var verify = await elf.RunAsync(["verify", "--base", served.Base], timeout: TimeSpan.FromSeconds(180));

        var rows = Tools.Sqlite(served.Memory.DatabasePath, "SELECT id FROM heuristics").Select(r => long.Parse(r[0])).ToHashSet();
        var text = File.ReadAllText(Path.Combine(served.Base, "memory", "heuristics", "kill.md"));
        var entries = Regex.Matches(text, @"^## H-(\d+): Rule (\d+)\n\n\*\*Confidence\*\*: 0\.5\n\*\*Source\*\*: observation\n\*\*Created\*\*: [\d-]{10}\n\nBecause \2\n\n---\n\n", RegexOptions.Multiline)
            .Select(m => long.Parse(m.Groups[1].Value)).ToList();
        var headings = Regex.Matches(text, @"^## H-", RegexOptions.Multiline).Count;
        var trailers = GitHistory.Log(served.Base).SelectMany(c => c.HeuristicTrailers).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());

        var lost = acknowledged.Count(id => !rows.Contains(id) || entries.Count(e => e == id) != 1 || trailers.GetValueOrDefault(id) != 1);
        var duplicated = entries.Count - entries.Distinct().Count() + trailers.Count(t => t.Value > 1);
        output.WriteLine($"{records} heuristics, {kills} kills, {acknowledged.Count} acknowledged, {rows.Count} rows, {entries.Count} entries, lost = {lost}, duplicated = {duplicated}");
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
        Assert.Equal(headings, entries.Count); // every entry in the file is whole
        Assert.Equal(rows.Order(), entries.Order()); // every row has its entry, every entry its row
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(text, Tools.Git(served.Base, "show", "HEAD:memory/heuristics/kill.md"));
        Assert.Empty(GitHistory.Status(served.Base));
    }
}
