using Akka.Actor;
using Akka.Hosting;
using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Core.Git;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Support;

/// <summary>
/// A generic host running ElfActors through the same <see cref="ElfActorsHosting.WithElfActors"/> wiring as
/// production, with TestKit's configuration added so probes and assertions work on its actor system.
/// </summary>
public sealed class ElfTestHost : IAsyncDisposable
{
    // Short back-off so fault tests restart quickly; everything else is the shipped default.
    private const string TestOverrides = """
        elf.committer.backoff { min = 20ms, max = 200ms, random-factor = 0.1 }
        elf.committer.sweep-interval = 200ms
        akka.loglevel = INFO
        """;

    private readonly IHost _host;

    private ElfTestHost(IHost host, ElfActorsOptions options)
    {
        _host = host;
        Options = options;
        System = host.Services.GetRequiredService<ActorSystem>();
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Recording = registry.Get<ElfRecording>();
        Committer = registry.Get<ElfCommitter>();
    }

    public ElfActorsOptions Options { get; }
    public ActorSystem System { get; }
    public IActorRef Recording { get; }
    public IActorRef Committer { get; }

    public static async Task<ElfTestHost> StartAsync(MemoryPaths paths, string? hocon = null,
        GitStoreFactory? gitStoreFactory = null, TimeProvider? clock = null)
    {
        var options = new ElfActorsOptions
        {
            Paths = paths,
            GitStoreFactory = gitStoreFactory ?? GitStore.Factory,
            Clock = clock ?? TimeProvider.System,
        };
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAkka("elf-test", akka =>
        {
            akka.AddHocon(Akka.TestKit.Xunit2.TestKit.DefaultConfig, HoconAddMode.Append);
            akka.AddHocon(TestOverrides, HoconAddMode.Prepend);
            if (hocon is not null) akka.AddHocon(hocon, HoconAddMode.Prepend);
            akka.WithElfActors(options);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new ElfTestHost(host, options);
    }

    /// <summary>A TestKit bound to this host's actor system (probes, ExpectMsg, AwaitCondition).</summary>
    public Akka.TestKit.Xunit2.TestKit Kit(ITestOutputHelper? output = null) => _kit ??= new(System, output);

    private Akka.TestKit.Xunit2.TestKit? _kit;

    /// <summary>Waits until the committer reports an empty outbox, asking again if a restart swallowed the question.</summary>
    public async Task FlushAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                await Committer.Ask<CommitterProtocol.AllCommitted>(CommitterProtocol.AwaitAllCommitted.Instance, TimeSpan.FromSeconds(2));
                return;
            }
            catch (AskTimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    public async Task<RecordReply> RecordAsync(RecordRequest request) =>
        await Recording.Ask<RecordReply>(request, TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
