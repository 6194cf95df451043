using Akka.Configuration;
using Akka.Hosting;
using ElfActors.Actors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

/// <summary>How a host process is set up (serve and simulate share it).</summary>
public sealed record HostSettings
{
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Extra HOCON files; later ones win over earlier ones and over hocon/elf.hocon.</summary>
    public IReadOnlyList<string> ConfigFiles { get; init; } = [];

    /// <summary>Serve the `elf` client on the memory's named pipe.</summary>
    public bool ServePipe { get; init; }

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>
    /// Overrides <c>elf.host.idle-exit</c> (<see cref="IdleExitService"/>): `elf serve --idle-exit`, $ELF_IDLE_EXIT for an
    /// auto-started host, or zero for a foreground `elf serve`. Null: the configuration decides.
    /// </summary>
    public TimeSpan? IdleExit { get; init; }

    /// <summary>Started by `elf` because no host answered (`elf-host serve --auto-started`), not by a person.</summary>
    public bool AutoStarted { get; init; }
}

/// <summary>A generic host running ElfActors, wired exactly as any embedding host would be (WithElfActors).</summary>
public static class EmbeddedHost
{
    /// <summary>
    /// The configuration files' HOCON, highest priority first: --config files (later ones win), the memory's own
    /// memory/.elf/elf.hocon (a host serving the pipe), hocon/elf.hocon beside the binaries; the embedded defaults are
    /// the fallback of them all (<see cref="ElfSettings.From"/>, WithElfActors).
    /// </summary>
    public static Config Configuration(ElfActorsOptions options, HostSettings settings)
    {
        var configuration = Config.Empty;
        foreach (var file in settings.ConfigFiles.Reverse()) configuration = configuration.WithFallback(Parse(Path.GetFullPath(file)));
        var memorySettings = Path.Combine(options.Paths.StateDirectory, "elf.hocon");
        if (settings.ServePipe && File.Exists(memorySettings)) configuration = configuration.WithFallback(Parse(memorySettings));
        var shipped = Path.Combine(AppContext.BaseDirectory, "hocon", "elf.hocon");
        if (File.Exists(shipped)) configuration = configuration.WithFallback(Parse(shipped));
        return configuration;
    }

    private static Config Parse(string file) => ConfigurationFactory.ParseString(File.ReadAllText(file));

    /// <param name="configuration"><see cref="Configuration"/>'s, when the caller has read it already.</param>
    /// <param name="startedEarly">`elf serve`'s socket, bound and serving before the host is built (docs/adr/0053): it
    /// becomes the host's pipe server and hands its requests to the actors once they are up.</param>
    public static IHost Build(ElfActorsOptions options, HostSettings? settings = null, Config? configuration = null, Pipe.PipeServer? startedEarly = null)
    {
        settings ??= new HostSettings();
        _ = options.Folder; // made now, so that every copy of the options (the pipe server's, a cluster node's) shares it
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Logs go to stderr so that stdout stays machine-readable (--json).
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }).AddFilter(level => level >= settings.MinimumLogLevel);
        // The last error, for `elf status`.
        var lastError = new LastErrorLog();
        builder.Logging.AddProvider(lastError);
        builder.Services.AddSingleton(lastError);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.Services.AddSingleton<IHostLifetime, SignalLifetime>();
        builder.Services.AddAkka("elf", akka =>
        {
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = settings.MinimumLogLevel <= LogLevel.Information ? Akka.Event.LogLevel.InfoLevel : Akka.Event.LogLevel.WarningLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            // The host's lifetime (SIGTERM, Ctrl-C, `elf stop`) runs CoordinatedShutdown through Akka.Hosting.
            // Akka's own CLR hook would run it inside the signal handler, after which .NET 10 exits with 143
            // before the host has stopped.
            akka.AddHocon("""
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                akka.stdout-loglevel = WARNING
                akka.log-dead-letters-during-shutdown = off
                akka.log-dead-letters = off
                """, HoconAddMode.Prepend);
            akka.AddHocon(configuration ?? Configuration(options, settings), HoconAddMode.Prepend);
            if (settings.IdleExit is { } idleExit)
                akka.AddHocon($"{IdleExitService.Setting} = {(long)idleExit.TotalMilliseconds}ms", HoconAddMode.Prepend);
            akka.WithElfActors(options);
        });
        if (settings.ServePipe)
        {
            builder.Services.AddSingleton(new IdleMonitor { AutoStarted = settings.AutoStarted });
            builder.Services.AddElfPipeServer(options, startedEarly);
        }
        // A cluster node is run by its operator, never auto-started: it does not exit when idle.
        if (settings.ServePipe && options.Cluster is null) builder.Services.AddHostedService<IdleExitService>();
        // A host whose memory's folder was deleted, moved or replaced stops (docs/adr/0074). A cluster node's committer may
        // run elsewhere: its operator stops it.
        if (settings.ServePipe && options.Cluster is null) builder.Services.AddHostedService<MemoryGoneExitService>();
        // Only elf-host's own process gives its memory back when idle (an embedding orchestrator owns its process).
        if (settings.ServePipe) builder.Services.AddHostedService<IdleMemoryTrimService>();
        return builder.Build();
    }
}
