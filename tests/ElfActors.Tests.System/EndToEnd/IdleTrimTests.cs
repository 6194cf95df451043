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
}
