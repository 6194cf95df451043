using System.Diagnostics;
using System.Globalization;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// A host idle for <c>elf.host.idle-trim</c> gives memory back (ADR 0049) and serves the next record as before. Its
/// resident memory is read from /proc, the records with sqlite3 and git.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class IdleTrimTests(PublishedElf elf)
{
    private static long ResidentKib(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    [Fact]
    public async Task An_idle_host_gives_memory_back_and_serves_the_next_record()
    {
        await using var served = new ServedMemory(elf);
        Directory.CreateDirectory(served.Memory.Paths.StateDirectory);
        File.WriteAllText(Path.Combine(served.Memory.Paths.StateDirectory, "elf.hocon"), "elf.host.idle-trim = 2s\n");
        for (var i = 0; i < 20; i++)
        {
            var record = await elf.RunAsync("record-failure", "--base", served.Base, "--title", $"Before the trim {i}", "--domain", "trim");
            Assert.True(record.ExitCode == 0, record.ToString());
        }
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        var pid = Assert.Single(PublishedElf.HostPids(served.Base));
        var serving = ResidentKib(pid);

        // Without the trim nothing lowers an idle process's resident memory (no allocation, no collection, no memory
        // pressure here): 4 MiB less within 60 s is the host's own doing.
        var watch = Stopwatch.StartNew();
        long idle;
        while ((idle = ResidentKib(pid)) > serving - 4096)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"resident memory {serving} KiB serving, still {idle} KiB after {watch.Elapsed}");
            await Task.Delay(200);
        }

        var after = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "After the trim", "--domain", "trim");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        Assert.Equal(pid, Assert.Single(PublishedElf.HostPids(served.Base)));
        Assert.Equal(21, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(21, GitHistory.Log(served.Base).SelectMany(c => c.RecordTrailers).Count());
        Assert.Empty(GitHistory.Status(served.Base));
    }

    /// <summary>
    /// Resident kB of the host's mapping of CoreLib's code, read from its smaps by this test. This test process maps the
    /// same file, so only the host dropping its own page-table entries (ADR 0059) lowers it: MADV_PAGEOUT leaves pages
    /// another process maps.
    /// </summary>
    private static long CoreLibCodeResidentKib(int pid)
    {
        var inCoreLibCode = false;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
                inCoreLibCode = fields[1] == "r-xp" && line.EndsWith("/System.Private.CoreLib.dll", StringComparison.Ordinal);
            else if (inCoreLibCode && fields[0] == "Rss:")
                return long.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"no r-xp mapping of System.Private.CoreLib.dll in /proc/{pid}/smaps");
    }

    [Fact]
    public async Task A_host_trimmed_again_and_again_between_records_keeps_every_record_and_its_repository_sound()
    {
        await using var served = new ServedMemory(elf);
        Directory.CreateDirectory(served.Memory.Paths.StateDirectory);
        File.WriteAllText(Path.Combine(served.Memory.Paths.StateDirectory, "elf.hocon"), "elf.host.idle-trim = 200ms\nelf.host.idle-trim-longest = 200ms\n");
        const int rounds = 8, perRound = 3;
        var recorded = 0;
        for (var round = 0; round < rounds; round++)
        {
            // Records at once, into a host just trimmed (the code they run faults back in), one more while the next trim
            // waits for the mappings to settle in odd rounds (it must start its wait again).
            var records = await Task.WhenAll(Enumerable.Range(0, perRound).Select(i =>
                elf.RunAsync("record-failure", "--base", served.Base, "--title", $"Round {round} record {i}", "--domain", "trim", "--summary", $"round {round}")));
            foreach (var record in records) Assert.True(record.ExitCode == 0, record.ToString());
            recorded += perRound;
            if (round % 2 == 1)
            {
                await Task.Delay(700);
                var extra = await elf.RunAsync("record-failure", "--base", served.Base, "--title", $"Round {round} during the settle", "--domain", "trim");
                Assert.True(extra.ExitCode == 0, extra.ToString());
                recorded++;
            }
            var pid = Assert.Single(PublishedElf.HostPids(served.Base));
            var serving = CoreLibCodeResidentKib(pid);
            var watch = Stopwatch.StartNew();
            long lowest;
            while ((lowest = CoreLibCodeResidentKib(pid)) > serving * 3 / 5)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"round {round}: CoreLib's code {serving} kB resident after the records, still {lowest} kB after {watch.Elapsed}");
                await Task.Delay(50);
            }
        }

        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        var verify = await elf.RunAsync("verify", "--base", served.Base);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var fsck = Tools.Run("git", served.Base, "fsck", "--strict");
        Assert.True(fsck.ExitCode == 0, $"git fsck --strict: {fsck.Stderr}");
        Assert.Equal(recorded, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        var trailers = GitHistory.Log(served.Base).SelectMany(c => c.RecordTrailers).ToList();
        Assert.Equal(recorded, trailers.Count);
        Assert.Equal(recorded, trailers.Distinct().Count());
        Assert.Empty(GitHistory.Status(served.Base));
        Assert.Single(PublishedElf.HostPids(served.Base));
    }
}
