using System.Text.Json;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>`elf status` against a real host.</summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class StatusEndToEndTests(PublishedElf elf)
{
    /// <summary>
    /// memory/index.db removed under a running host, and its path taken by a folder so that the host cannot put the
    /// index back yet. `elf status` said "not running" (exit 3) whenever the index could not be read, and the put-back
    /// that kept failing looped (the committer woken by each attempt asked for the next): 265 warnings in 1.5 s. Once the
    /// path is free the next record puts the index back and nothing is lost.
    /// </summary>
    [Fact]
    public async Task A_running_host_whose_index_cannot_be_put_back_says_so_calmly_and_recovers()
    {
        await using var served = new ServedMemory(elf);
        var first = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "Before the removal", "--domain", "status");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(served.Memory.DatabasePath + suffix);
        Directory.CreateDirectory(served.Memory.DatabasePath);
        var log = Path.Combine(served.Memory.Paths.StateDirectory, "host.log");

        var status = await elf.RunAsync("status", "--base", served.Base);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("running: pid", status.Stdout);
        Assert.Contains("index:         memory/index.db is a folder", status.Stdout);
        var json = await elf.RunAsync("status", "--base", served.Base, "--json");
        var host = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("hostStatus");
        Assert.True(host.GetProperty("running").GetBoolean());
        Assert.Contains("folder", host.GetProperty("indexUnreadable").GetString());
        // Two seconds of a put-back that cannot succeed: said once, not in a loop.
        var before = File.ReadLines(log).Count();
        await Task.Delay(TimeSpan.FromSeconds(2)); // the span measured, not a synchronisation
        var warnings = File.ReadLines(log).Skip(before).Count(line => line.Contains("could not be put back yet", StringComparison.Ordinal));
        Assert.True(warnings <= 1, $"{warnings} put-back warnings in 2 s");

        Directory.Delete(served.Memory.DatabasePath);
        var second = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "After the removal", "--domain", "status");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        var after = await elf.RunAsync("status", "--base", served.Base);
        Assert.Equal(0, after.ExitCode);
        Assert.DoesNotContain("index:", after.Stdout);
        Assert.Contains("pending:       0 records", after.Stdout);
        Assert.Equal(2, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(2, GitHistory.Log(served.Base).SelectMany(c => c.RecordTrailers).Count());
    }

    /// <summary>
    /// A committer that stops looking at the outbox while records wait (here: blocked inside git, by a reference-transaction
    /// hook that waits for a file) is said in `elf status` (a `stalled:` line, `committerStall` in --json) and in a flush
    /// that times out, with how long it has not looked; once it gets on, nothing is lost (docs/adr/0056).
    /// </summary>
    [Fact]
    public async Task A_committer_that_has_not_looked_for_five_sweeps_while_records_wait_is_said_to_be_stalled()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var served = new ServedMemory(elf);
        Tools.Git(served.Base, "init", "-q");
        var release = Path.Combine(served.Base, ".git", "release-the-commit");
        var hook = Path.Combine(served.Base, ".git", "hooks", "reference-transaction");
        Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
        File.WriteAllText(hook, $"#!/bin/sh\n[ \"$1\" = prepared ] || exit 0\nwhile [ ! -e '{release}' ]; do sleep 0.05; done\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            foreach (var title in new[] { "Committed behind a hook", "Waiting behind it" })
            {
                var recorded = await elf.RunAsync("record-failure", "--base", served.Base, "--title", title, "--domain", "status");
                Assert.True(recorded.ExitCode == 0, recorded.ToString());
            }
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string stalled;
            while (true)
            {
                var json = await elf.RunAsync("status", "--base", served.Base, "--json");
                var host = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("hostStatus");
                if (host.TryGetProperty("committerStall", out var stall) && stall.ValueKind == JsonValueKind.String)
                {
                    stalled = stall.GetString()!;
                    Assert.True(host.GetProperty("committerLookedSecondsAgo").GetDouble() >= 10);
                    break;
                }
                Assert.True(DateTime.UtcNow < deadline, "elf status never said the committer stalled: " + json.Stdout);
                await Task.Delay(200);
            }
            Assert.Contains("the committer has not looked at the outbox for", stalled);
            Assert.Contains("records wait", stalled);
            var text = await elf.RunAsync("status", "--base", served.Base);
            Assert.Contains("stalled:       the committer has not looked", text.Stdout);
            var flush = await elf.RunAsync("flush", "--base", served.Base, "--timeout", "1");
            Assert.Equal(3, flush.ExitCode);
            Assert.Contains("the committer has not looked at the outbox for", flush.Stderr + flush.Stdout);
        }
        finally
        {
            File.WriteAllText(release, "");
        }
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base, "--timeout", "60")).ExitCode);
        var after = await elf.RunAsync("status", "--base", served.Base, "--json");
        Assert.False(JsonDocument.Parse(after.Stdout).RootElement.GetProperty("hostStatus").TryGetProperty("committerStall", out var left) && left.ValueKind == JsonValueKind.String);
        Assert.Equal(2, GitHistory.Log(served.Base).SelectMany(c => c.RecordTrailers).Count());
    }
}
