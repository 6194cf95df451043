using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace ElfActors.Host;

/// <summary>
/// SIGTERM, SIGINT (Ctrl-C) and SIGQUIT stop the host, and the process then ends the normal way: Main returns
/// and reports whether the drain committed everything. (On .NET 10 the console lifetime lets the runtime end
/// the process with 143 once the host has stopped, before Main can say anything.)
/// </summary>
public sealed class SignalLifetime(IHostApplicationLifetime lifetime) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true; // we stop, then exit ourselves
                lifetime.StopApplication();
            }));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registrations.ForEach(r => r.Dispose());
}
