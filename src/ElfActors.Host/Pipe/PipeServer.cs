using System.Collections.Concurrent;
using System.Net.Sockets;
using ElfActors.Contracts.Wire;
using ElfActors.Core.Files;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host.Pipe;

/// <summary>Where a connection is when something fails: every stage is guarded, none can stop the accept loops.</summary>
public enum ConnectionStage
{
    Accept,
    CredentialCheck,
    ReadFrame,
    Handle,
    Write,
}

/// <summary>
/// Serves the `elf` client on the memory's Unix socket, in the user's private runtime folder (docs/security.md,
/// docs/adr/0015). The socket is bound 0600 whatever the umask; every connection's peer must run as this
/// process's user (SO_PEERCRED), another user is refused and logged once. Several accept loops each hand a
/// connection to its own task, so many clients are served at once; a connection may carry several requests in
/// turn. No exception of one connection, at any stage, ends a loop. Limits: <see cref="MaxConnections"/> open at
/// once (more are closed at accept), <see cref="IdleTimeout"/> to send each request (and to take each answer),
/// frames of at most <see cref="WireProtocol.MaxFrameBytes"/>. A host whose socket was removed binds it again
/// (<see cref="WatchSocketAsync"/>). `elf serve` starts it before the host (<see cref="StartEarlyAsync"/>): the same socket and
/// accept loops hand requests to an <see cref="EarlyRequestHandler"/> until the host starts it, then to the actors (docs/adr/0053).
/// </summary>
public sealed class PipeServer : BackgroundService
{
    private readonly MemoryPaths paths;
    private volatile IWireRequestHandler handler;
    private ILogger log;
    // Started before the host: the handler of its first requests, and the actors' once the host has been built.
    private readonly EarlyRequestHandler? _early;
    private (RequestHandler Handler, ILogger Log)? _handOff;
    private bool _started;

    public PipeServer(MemoryPaths paths, RequestHandler handler, ILogger<PipeServer> log)
    {
        this.paths = paths;
        this.handler = handler;
        this.log = log;
    }

    private PipeServer(MemoryPaths paths, EarlyRequestHandler early, ILogger log)
    {
        this.paths = paths;
        handler = _early = early;
        this.log = log;
    }

    /// <summary>
    /// Binds the memory's socket and serves it with <paramref name="early"/> before any host exists (`elf serve`, docs/adr/0053).
    /// The host lock must be held. Register it with the host (EmbeddedHost.Build's startedEarly): the host's start hands it to the actors.
    /// </summary>
    public static async Task<PipeServer> StartEarlyAsync(MemoryPaths paths, EarlyRequestHandler early, ILogger log)
    {
        var server = new PipeServer(paths, early, log);
        await server.StartAsync(CancellationToken.None);
        return server;
    }

    /// <summary>The actors' handler and the host's logger, taken over when the host starts this server started early.</summary>
    internal PipeServer HandsOffTo(RequestHandler actors, ILogger<PipeServer> hostLog)
    {
        _handOff = (actors, hostLog);
        return this;
    }
    private const int AcceptLoops = 4;
    internal const int MaxConnections = 4096;
    private const int Backlog = 512;
    internal static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan SocketCheckInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan AcceptFailurePause = TimeSpan.FromMilliseconds(100);
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly ConcurrentDictionary<uint, bool> _refusedUsers = new();
    private long _nextConnection;
    private long _overCapacity;
    private volatile Socket? _listener;
    private ulong _boundInode;
    private HostLock? _ownLock;

    /// <summary>The socket's path, known once the server has started.</summary>
    public string PipeName { get; private set; } = "";

    /// <summary>Tests only: called at each stage of each connection; a throw there is a fault of that stage.</summary>
    internal Action<ConnectionStage>? FaultInjection { get; set; }

    /// <summary>Connections closed at accept because <see cref="MaxConnections"/> were open.</summary>
    public long RefusedOverCapacity => Interlocked.Read(ref _overCapacity);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_started)
        {
            // Started early, and now by the host, whose actors are up: from here on the actors serve (docs/adr/0053).
            if (_handOff is { } handOff)
            {
                log = handOff.Log;
                handler = handOff.Handler;
                await _early!.HandOffAsync(handOff.Handler);
                StartTrace.Mark("handed off to the actors");
            }
            return;
        }
        _started = true;
        // One host per memory: `elf serve` takes the lock before anything starts; an embedding host gets it here.
        if (!HostLock.HeldByThisProcess(paths))
        {
            if (!HostLock.TryAcquire(paths, out _ownLock, out var holder))
                throw new InvalidOperationException($"another elf host ({holder}) already serves {paths.BasePath}; not opening a second socket");
        }
        // Bound before StartAsync returns: from then on clients can connect. The host lock guarantees that no live
        // host of this memory owns the path, so a socket there is a dead host's; anything else is refused.
        PipeName = HostAddress.PipeName(paths);
        _listener = Bind(PipeName);
        StartTrace.Mark("socket bound");
        log.LogInformation("Serving {Base} on {Socket}", paths.BasePath, PipeName);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Throws <see cref="HostAddressException"/> naming the path when the memory's socket path cannot be this host's:
    /// an unsafe runtime folder, something other than a socket of ours there, or a socket another process listens on.
    /// `elf serve` asks before it starts anything, so that it can say so in one line.
    /// </summary>
    public static void CheckSocketPath(MemoryPaths paths) => CheckSocketPath(HostAddress.PipeName(paths));

    private static void CheckSocketPath(string path)
    {
        HostAddress.EnsureRuntimeDirectory();
        if (HostAddress.SquatterAt(path) is { } squatter) throw new HostAddressException(squatter);
        if (File.Exists(path) && Answers(path) is { } peer)
            throw new HostAddressException($"{path} is a live socket of another process ({peer}); this memory's host cannot listen there: stop that process, or remove the socket (rm {path}), and retry");
    }

    /// <summary>Binds and listens on the socket's path, 0600; throws <see cref="HostAddressException"/> naming the path when something else holds it.</summary>
    private Socket Bind(string path)
    {
        CheckSocketPath(path);
        if (File.Exists(path)) File.Delete(path); // a socket of ours that nobody listens on: a dead host's
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // bind(2) applies the umask; the folder is 0700, so nobody else could reach it in between.
            HostAddress.MakePrivate(path);
            if (Posix.Supported)
            {
                var bound = Posix.LinkStatus(path);
                if (bound is not { IsSocket: true, Permissions: 0x180 } || bound.Value.Owner != Posix.EffectiveUserId)
                    throw new HostAddressException($"{path} is not a private socket after binding it ({(bound is { } b ? HostAddress.Describe(b) : "gone")})");
                _boundInode = bound.Value.Inode;
            }
            listener.Listen(Backlog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Who answers on a socket path, or null when nobody listens there.</summary>
    private static string? Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return Posix.PeerCredentials(probe) is { } peer ? $"pid {peer.Pid}, uid {peer.Uid}" : "an unknown process";
        }
        catch (SocketException)
        {
            return null;
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, AcceptLoops).Select(_ => AcceptLoopAsync(stoppingToken)).Append(WatchSocketAsync(stoppingToken)));

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        await Task.Yield();
        while (!stopping.IsCancellationRequested)
        {
            var listener = _listener!;
            Socket connection;
            try
            {
                FaultInjection?.Invoke(ConnectionStage.Accept);
                connection = await listener.AcceptAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A listener replaced by the watcher, or out of descriptors (EMFILE): pause, never spin, never stop.
                if (!ReferenceEquals(listener, _listener)) continue;
                log.LogWarning("Accepting a client failed: {Message}", e.Message);
                try { await Task.Delay(AcceptFailurePause, stopping); }
                catch (OperationCanceledException) { break; }
                continue;
            }
            if (_connections.Count >= MaxConnections)
            {
                if (Interlocked.Increment(ref _overCapacity) % 1000 == 1)
                    log.LogWarning("{Max} connections are open: closing new ones at once ({Count} so far)", MaxConnections, RefusedOverCapacity);
                connection.Dispose();
                continue;
            }
            var id = Interlocked.Increment(ref _nextConnection);
            _connections[id] = ServeAsync(connection, id, stopping);
        }
    }

    private async Task ServeAsync(Socket socket, long id, CancellationToken stopping)
    {
        await Task.Yield();
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            FaultInjection?.Invoke(ConnectionStage.CredentialCheck);
            if (!PeerIsOwner(socket)) return;
            while (true)
            {
                byte[]? body;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    idle.CancelAfter(IdleTimeout);
                    FaultInjection?.Invoke(ConnectionStage.ReadFrame);
                    body = await FrameCodec.ReadAsync(stream, WireProtocol.MaxFrameBytes, idle.Token);
                }
                if (body is null) break; // the client is done
                StartTrace.Mark("request read");
                var response = await RespondAsync(body);
                StartTrace.Mark("response ready");
                // A request already read is answered even during shutdown: its caller waits for it. A caller that
                // does not take its answer within the idle timeout loses it.
                using var write = new CancellationTokenSource(IdleTimeout);
                FaultInjection?.Invoke(ConnectionStage.Write);
                await FrameCodec.WriteAsync(stream, FrameCodec.Encode(response), write.Token);
                StartTrace.Mark("response written");
            }
        }
        catch (FrameException e)
        {
            log.LogWarning("Closing connection {Id}: {Message}", id, e.Message);
            await TryWriteAsync(stream, WireResponse.ProtocolError(e.Error, e.Message));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // idle for too long, shutting down between requests, or the client went away
        }
        catch (Exception e)
        {
            log.LogError(e, "Connection {Id} failed; closing it", id);
        }
        finally
        {
            await stream.DisposeAsync();
            _connections.TryRemove(id, out _);
        }
    }

    /// <summary>Whether the peer runs as this process's user; another user is refused, and logged once per uid.</summary>
    private bool PeerIsOwner(Socket socket)
    {
        if (!Posix.Supported) return true; // no SO_PEERCRED here: the 0700 folder and 0600 socket are the guard (docs/security.md)
        var peer = Posix.PeerCredentials(socket);
        if (peer?.Uid == Posix.EffectiveUserId) return true;
        var uid = peer?.Uid ?? uint.MaxValue;
        if (_refusedUsers.TryAdd(uid, true))
            log.LogWarning("Refused a connection from uid {Uid} (pid {Pid}): only uid {Owner} may use this host; further connections of that user are refused silently",
                uid, peer?.Pid, Posix.EffectiveUserId);
        return false;
    }

    private async Task<WireResponse> RespondAsync(byte[] body)
    {
        try
        {
            FaultInjection?.Invoke(ConnectionStage.Handle);
            var request = FrameCodec.DecodeRequest(body);
            StartTrace.Mark("  request decoded");
            return await handler.HandleAsync(request);
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
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Binds the socket again when its path is removed or replaced (by `rm`, a cleaner of /tmp-like folders), so clients
    /// find the host without a restart. The system reports changes of that name in the runtime folder (inotify), and each
    /// report costs one lstat; an idle host is not woken otherwise (docs/adr/0042). Where the folder cannot be watched,
    /// the path is checked every <see cref="SocketCheckInterval"/> instead, as before.
    /// </summary>
    private async Task WatchSocketAsync(CancellationToken stopping)
    {
        if (!Posix.Supported) return;
        using var changed = new SemaphoreSlim(0);
        PeriodicTimer? timer = null;
        FolderWatch? watch = null;
        string? lastProblem = null;
        FolderWatch Watch()
        {
            var folder = new WatchedFolder(Path.GetDirectoryName(PipeName)!, Recursive: false, Path.GetFileName(PipeName));
            var started = FolderWatch.Start([folder], () => changed.Release(),
                why => log.LogWarning("The socket's folder is no longer watched ({Reason}): checking {Socket} every {Seconds} s instead", why, PipeName, SocketCheckInterval.TotalSeconds));
            if (started.Failed is { } why)
                log.LogWarning("Cannot watch the socket's folder ({Reason}): checking {Socket} every {Seconds} s instead", why, PipeName, SocketCheckInterval.TotalSeconds);
            return started;
        }
        try
        {
            watch = Watch();
            while (!stopping.IsCancellationRequested)
            {
                watch.Arm(); // before the look: a change while it looks is reported
                try
                {
                    if (Posix.LinkStatus(PipeName) is not { IsSocket: true } status || status.Inode != _boundInode)
                    {
                        // Disposed first: .NET unlinks a listener's path when it is disposed, which would remove the new socket.
                        _listener?.Dispose();
                        _listener = Bind(PipeName);
                        lastProblem = null;
                        log.LogWarning("The socket {Socket} was removed or replaced: bound it again", PipeName);
                        // The folder itself may be a new one (a cleaner removed it): watch what is there now.
                        watch.Dispose();
                        watch = Watch();
                        continue;
                    }
                }
                catch (Exception e) when (e is HostAddressException or IOException or SocketException or UnauthorizedAccessException)
                {
                    if (e.Message != lastProblem) log.LogError("Cannot bind the socket again: {Message}", e.Message);
                    lastProblem = e.Message;
                }
                if (watch.Failed is null && lastProblem is null) await changed.WaitAsync(stopping);
                else await (timer ??= new PeriodicTimer(SocketCheckInterval)).WaitForNextTickAsync(stopping);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            watch?.Dispose();
            timer?.Dispose();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken); // stops accepting; idle connections close
        if (_listener is { } listener)
        {
            listener.Dispose();
            // Only our own socket is removed: a path someone else bound since is theirs.
            if (Posix.LinkStatus(PipeName) is { IsSocket: true } status && status.Inode == _boundInode)
                try { File.Delete(PipeName); } catch (IOException) { }
        }
        // Requests in flight finish (their records are acknowledged or refused) before the actors stop.
        await Task.WhenAll(_connections.Values).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _ownLock?.Dispose();
    }
}
