using Akka.Hosting;
using ElfActors.Actors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Cli;

/// <summary>A generic host running ElfActors in this process, wired exactly as any embedding host would be.</summary>
public static class EmbeddedHost
{
    public static IHost Build(ElfActorsOptions options, LogLevel minimumLevel = LogLevel.Warning)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Logs go to stderr so that stdout stays machine-readable (--json).
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter(level => level >= minimumLevel);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddAkka("elf", akka =>
        {
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.LogLevel.WarningLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            akka.AddHocon("""
                akka.stdout-loglevel = WARNING
                akka.log-dead-letters-during-shutdown = off
                akka.log-dead-letters = off
                """, HoconAddMode.Prepend);
            akka.WithElfActors(options);
        });
        return builder.Build();
    }
}
