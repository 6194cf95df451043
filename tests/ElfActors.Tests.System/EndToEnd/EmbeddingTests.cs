using Akka.Hosting;
using ElfActors.Actors;
using ElfActors.Host;
using ElfActors.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ElfActors.Tests.EndToEnd;

/// <summary>An orchestrator's own generic host runs ElfActors; agents' `elf` processes record through it.</summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class EmbeddingTests(PublishedElf elf)
{
    [Fact]
    public async Task An_orchestrator_embeds_elfactors_with_one_call_and_the_elf_cli_records_through_it()
    {
        using var memory = new TempMemory();
        var options = new ElfActorsOptions { Paths = memory.Paths };
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAkka("orchestrator", akka => akka.WithElfActors(options)); // the one call for the actors
        builder.Services.AddElfPipeServer(options);                                    // and, optionally, the pipe
        using var host = builder.Build();
        await host.StartAsync();

        var result = await elf.RunAsync("record-failure", "--base", memory.BasePath, "--title", "Through the orchestrator", "--domain", "embed", "--wait-commit");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Committed: ", result.Stdout);
        Assert.Equal(0, PublishedElf.HostProcesses(memory.BasePath)); // no elf-host was started: the orchestrator served it
        Assert.Equal(1, options.Monitor.Acknowledged);
        await host.StopAsync();
        Assert.Equal("Through the orchestrator", Tools.Sqlite(memory.DatabasePath, "SELECT title FROM learnings").Single()[0]);
        Assert.Single(GitHistory.Log(memory.BasePath));
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }
}
