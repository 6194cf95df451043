using ElfActors.Actors;
using ElfActors.Host.Pipe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ElfActors.Host;

public static class ElfHostingExtensions
{
    /// <summary>
    /// Serves the `elf` client on the memory's named pipe from any generic host that runs ElfActors
    /// (<c>AddAkka(…, b => b.WithElfActors(options))</c>), so agents' `elf record-failure` calls reach an
    /// orchestrator's own actor system. Call it after AddAkka: it stops first, answering requests in flight
    /// before the actors drain. Takes the memory's host lock if this process does not hold it yet.
    /// </summary>
    public static IServiceCollection AddElfPipeServer(this IServiceCollection services, ElfActorsOptions options) =>
        services.AddElfPipeServer(options, startedEarly: null);

    /// <param name="startedEarly">A pipe server `elf serve` started before the host (docs/adr/0053): registered as the
    /// host's, it hands its requests to the actors when the host starts it.</param>
    internal static IServiceCollection AddElfPipeServer(this IServiceCollection services, ElfActorsOptions options, PipeServer? startedEarly)
    {
        // A cluster node serves its own pipe, named after its cluster port (as `elf serve --cluster-port` does).
        if (options.Cluster is { } cluster) options = options with { Paths = options.Paths with { Node = cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        services.AddSingleton(options);
        services.AddSingleton(options.Paths);
        services.AddSingleton(sp => new CommitWaiter(sp.GetRequiredService<Akka.Actor.ActorSystem>(), options.Paths,
            options.Cluster is null ? null : TimeSpan.FromMilliseconds(250)));
        // EmbeddedHost registers its own first, saying whether `elf` started it (`elf status`, `elf doctor`).
        services.TryAddSingleton<IdleMonitor>();
        services.AddSingleton<RequestHandler>();
        if (startedEarly is null) services.AddHostedService<PipeServer>();
        else services.AddHostedService(sp => startedEarly.HandsOffTo(sp.GetRequiredService<RequestHandler>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<PipeServer>>()));
        return services;
    }
}
