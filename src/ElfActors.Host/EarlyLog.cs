using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

/// <summary>
/// The log of what runs before the host (and its logging) is built: `elf serve`'s early pipe server (docs/adr/0053).
/// One line per entry on stderr, in the host's console format, which HostLog keeps in memory/.elf/host.log.
/// </summary>
internal sealed class EarlyLog(string category, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var level = logLevel switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
        Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {level}: {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
