using ElfActors.Actors;
using ElfActors.Contracts.Client;
using ElfActors.Contracts.Wire;
using ElfActors.Host;
using ElfActors.Host.Pipe;
using ElfActors.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// No exception of one connection stops the accept loops: a throw is injected at each stage of a connection (accept,
/// credential check, reading the frame, handling the request, writing the answer), more times than there are accept
/// loops, and the host still answers afterwards.
/// </summary>
[Trait("Category", "FaultMatrix")]
public sealed class PipeServerFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_throw_at_every_stage_of_a_connection_never_stops_the_accept_loops()
    {
        using var memory = new TempMemory();
        using var host = EmbeddedHost.Build(new ElfActorsOptions { Paths = memory.Paths }, new HostSettings { ServePipe = true });
        await host.StartAsync();
        try
        {
            var server = host.Services.GetServices<IHostedService>().OfType<PipeServer>().Single();
            Assert.True(await PingAsync(memory.Paths), "the host did not answer before any fault");
            foreach (var stage in Enum.GetValues<ConnectionStage>())
            {
                const int faults = 12; // three times the accept loops
                var armed = faults;
                server.FaultInjection = s =>
                {
                    if (s == stage && Interlocked.Decrement(ref armed) >= 0) throw new InvalidOperationException("injected at " + s);
                };
                var failed = 0;
                for (var attempt = 0; attempt < faults * 4 && Volatile.Read(ref armed) > 0; attempt++)
                    if (!await PingAsync(memory.Paths)) failed++;
                Assert.True(Volatile.Read(ref armed) <= 0, $"{stage}: only {faults - armed} of {faults} faults were reached");
                server.FaultInjection = null;
                for (var i = 0; i < 8; i++) Assert.True(await PingAsync(memory.Paths), $"after {faults} faults at {stage}, ping {i} failed");
                output.WriteLine($"{stage}: {faults} faults injected, {failed} requests failed with them, then 8 of 8 pings answered");
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<bool> PingAsync(MemoryPaths paths)
    {
        await using var client = await HostClient.TryConnectAsync(paths, TimeSpan.FromSeconds(5));
        if (client is null) return false;
        try
        {
            var response = await client.SendAsync(new WireRequest { Command = WireProtocol.Commands.Ping }, TimeSpan.FromSeconds(10));
            return response.Message == "pong";
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or FrameException)
        {
            return false;
        }
    }
}
