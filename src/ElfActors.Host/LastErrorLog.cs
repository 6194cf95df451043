using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

/// <summary>
/// Remembers the host's last error (a log entry at Error or above) so that `elf status` can show it: errors a user must
/// act on (a repository the committer cannot write, a full disk) are in the log, but nobody reads logs first.
/// </summary>
public sealed class LastErrorLog : ILoggerProvider
{
    public (string Message, DateTimeOffset At)? Last => Volatile.Read(ref _box)?.Value;

    private StrongBox? _box;

    private sealed record StrongBox((string Message, DateTimeOffset At) Value);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LastErrorLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += $" ({exception.GetType().Name}: {exception.Message})";
            Volatile.Write(ref owner._box, new StrongBox((message.Length > 500 ? message[..500] + "…" : message, DateTimeOffset.UtcNow)));
        }
    }
}
