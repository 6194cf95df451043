using System.Diagnostics;
using System.Text;

namespace ElfActors.Tests.EndToEnd;

/// <summary>`elf logs` on the log a real host wrote (memory/.elf/host.log).</summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class LogsEndToEndTests(PublishedElf elf)
{
    [Fact]
    public async Task Elf_logs_shows_the_hosts_log_and_follows_it_until_the_host_has_stopped()
    {
        await using var served = new ServedMemory(elf);
        var none = await elf.RunAsync("logs", "--base", served.Base);
        Assert.Equal(0, none.ExitCode);
        Assert.Contains("no log yet", none.Stderr);
        var record = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "Logged", "--domain", "logs");
        Assert.True(record.ExitCode == 0, record.ToString());

        // A cold host answers its first record before its actor system and its log are up (ADR 0053): the log says it
        // serves once it is whole.
        var logs = await elf.RunAsync("logs", "--base", served.Base);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !logs.Stdout.Contains($"elf serve: serving {served.Base}") && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(100);
            logs = await elf.RunAsync("logs", "--base", served.Base);
        }

        Assert.Equal(0, logs.ExitCode);
        Assert.Contains($"elf serve: serving {served.Base}", logs.Stdout);
        Assert.Equal(File.ReadAllText(Path.Combine(served.Memory.Paths.StateDirectory, "host.log")), logs.Stdout);
        var one = await elf.RunAsync("logs", "--base", served.Base, "--lines", "1");
        Assert.Single(one.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var start = new ProcessStartInfo(elf.Elf, ["logs", "--base", served.Base, "--follow", "--lines", "0"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var follow = Process.Start(start)!;
        var followed = new StringBuilder();
        follow.OutputDataReceived += (_, e) => { lock (followed) followed.AppendLine(e.Data); };
        follow.BeginOutputReadLine();
        try
        {
            Assert.Equal(0, (await elf.RunAsync("stop", "--base", served.Base)).ExitCode);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                lock (followed)
                    if (followed.ToString().Contains("every acknowledged record is committed", StringComparison.Ordinal)) break;
                Assert.True(DateTime.UtcNow < deadline, "elf logs --follow did not show the host's stop: " + followed);
                await Task.Delay(50);
            }
            lock (followed) Assert.DoesNotContain("serving", followed.ToString()); // --lines 0: only what came after
        }
        finally
        {
            follow.Kill();
        }
    }
}
