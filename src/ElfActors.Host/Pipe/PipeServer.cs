using System.Collections.Concurrent;
using System.IO.Pipes;
using ElfActors.Contracts.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host.Pipe;

/// <summary>
/// Serves the `elf` client on the memory's named pipe (a Unix socket on Linux, restricted to the current user).
/// Several accept loops each hand a connected server instance to its own task and open a fresh instance at
/// once, so many clients are served at the same time. A connection may carry several requests in turn.
/// </summary>
public sealed class PipeServer(MemoryPaths paths, RequestHandler handler, ILogger<PipeServer> log) : BackgroundService
{
    private const int AcceptLoops = 4;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private long _nextConnection;

    public string PipeName { get; } = HostAddress.PipeName(paths);

    private HostLock? _ownLock;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // One host per memory: `elf serve` takes the lock before anything starts; an embedding host gets it here.
        if (!HostLock.HeldByThisProcess(paths))
        {
            if (!HostLock.TryAcquire(paths, out _ownLock, out var holder))
                throw new InvalidOperationException($"another elf host ({holder}) already serves {paths.BasePath}; not opening a second pipe");
        }
        // The first instance binds the socket (replacing a stale one a killed host left): once StartAsync
        // returns, clients can connect. The host lock guarantees no live host owns this path.
        _first = CreateInstance();
        log.LogInformation("Serving {Base} on {Pipe}", paths.BasePath, PipeName);
        return base.StartAsync(cancellationToken);
    }

    private NamedPipeServerStream? _first;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, AcceptLoops).Select(i => AcceptLoopAsync(i == 0 ? Interlocked.Exchange(ref _first, null) : null, stoppingToken)));

    private NamedPipeServerStream CreateInstance() => new(PipeName, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances,
        PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);

    private async Task AcceptLoopAsync(NamedPipeServerStream? first, CancellationToken stopping)
    {
        await Task.Yield();
        var next = first;
        while (!stopping.IsCancellationRequested)
        {
            var server = next ?? CreateInstance();
            next = null;
            try
            {
                await server.WaitForConnectionAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                await server.DisposeAsync();
                break;
            }
            catch (IOException e)
            {
                log.LogWarning("Accepting a client failed: {Message}", e.Message);
                await server.DisposeAsync();
                continue;
            }
            var id = Interlocked.Increment(ref _nextConnection);
            _connections[id] = ServeAsync(server, id, stopping);
        }
    }

    private async Task ServeAsync(NamedPipeServerStream connection, long id, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            while (true)
            {
                byte[]? body;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    idle.CancelAfter(IdleTimeout);
                    body = await FrameCodec.ReadAsync(connection, WireProtocol.MaxFrameBytes, idle.Token);
                }
                if (body is null) break; // the client is done
                var response = await RespondAsync(body);
                // A request already read is answered even during shutdown: its caller waits for it.
                await FrameCodec.WriteAsync(connection, FrameCodec.Encode(response), CancellationToken.None);
            }
        }
        catch (FrameException e)
        {
            log.LogWarning("Closing connection {Id}: {Message}", id, e.Message);
            await TryWriteAsync(connection, WireResponse.ProtocolError(e.Error, e.Message));
        }
        catch (OperationCanceledException)
        {
            // idle for too long, or shutting down between requests
        }
        catch (IOException)
        {
            // the client went away
        }
        finally
        {
            await connection.DisposeAsync();
            _connections.TryRemove(id, out _);
        }
    }

    private async Task<WireResponse> RespondAsync(byte[] body)
    {
        try
        {
            return await handler.HandleAsync(FrameCodec.DecodeRequest(body));
        }
        catch (FrameException e)
        {
            return WireResponse.ProtocolError(e.Error, e.Message);
        }
        catch (Exception e)
        {
            log.LogError(e, "Request failed");
            return WireResponse.ProtocolError(WireProtocol.Errors.Internal, "the host failed to handle the request: " + e.Message);
        }
    }

    private static async Task TryWriteAsync(Stream connection, WireResponse response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await FrameCodec.WriteAsync(connection, FrameCodec.Encode(response), timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken); // stops accepting; idle connections close
        if (_first is not null) await _first.DisposeAsync();
        // Requests in flight finish (their records are acknowledged or refused) before the actors stop.
        await Task.WhenAll(_connections.Values).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _ownLock?.Dispose();
    }
}
