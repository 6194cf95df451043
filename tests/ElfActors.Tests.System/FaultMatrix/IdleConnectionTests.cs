using System.Diagnostics;
using System.IO.Pipes;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>Clients that connect and say nothing must not stop the host from serving the others.</summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "FaultMatrix")]
public sealed class IdleConnectionTests(PublishedElf elf)
{
    [Fact]
    public async Task A_thousand_idle_connections_leave_the_host_serving_others_within_normal_latency()
    {
        await using var served = new ServedMemory(elf);
        var warm = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "Warm up", "--domain", "idle");
        Assert.True(warm.ExitCode == 0, warm.ToString());
        var before = await TimeRecordAsync(served.Base, "Before the idle crowd");

        var pipeName = HostAddress.PipeName(new MemoryPaths(served.Base));
        var idle = new List<NamedPipeClientStream>();
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                var pipe = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut, PipeOptions.Asynchronous);
                await pipe.ConnectAsync(5000);
                idle.Add(pipe);
            }

            var during = await TimeRecordAsync(served.Base, "Beside a thousand idle connections");

            // "Normal latency": within a generous bound of the same call a moment before, on a shared machine.
            Assert.True(during < Math.Max(before * 10, 1000), $"a record took {during:0} ms beside idle connections, {before:0} ms before");
        }
        finally
        {
            foreach (var pipe in idle) await pipe.DisposeAsync();
        }
        var status = await elf.RunAsync("status", "--base", served.Base);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
    }

    private async Task<double> TimeRecordAsync(string basePath, string title)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await elf.RunAsync("record-failure", "--base", basePath, "--title", title, "--domain", "idle");
        Assert.True(result.ExitCode == 0, result.ToString());
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
