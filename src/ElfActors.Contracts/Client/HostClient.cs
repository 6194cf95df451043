using System.Diagnostics;
using System.Net.Sockets;
using ElfActors.Contracts.Wire;

namespace ElfActors.Contracts.Client;

/// <summary>
/// A connection to the host serving a memory: one request, one response, in frames.
/// The host listens on a Unix socket in the user's runtime folder (docs/adr/0015), and the client uses it
/// synchronously: a blocking connect, and send and receive timeouts set on the socket. The async pipe client
/// starts the thread pool, the socket engine's thread and a timer thread for a single round trip, which was a
/// third of an `elf` process's CPU time (docs/adr/0009).
/// </summary>
public sealed class HostClient : IAsyncDisposable
{
    // While a host starts, every waiting client polls its socket. 200 clients racing an empty memory polled every
    // 10 ms, each attempt a failed connect and a thrown SocketException: 1.2-1.6 cores of a 2-core machine, and
    // the starting host, short of CPU, answered nobody for over a minute. So pauses double up to 100 ms, and
    // an absent socket is seen with a stat(), without an exception.
    private static readonly TimeSpan FirstRetryPause = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan LongestRetryPause = TimeSpan.FromMilliseconds(100);
    /// <summary>
    /// The longest pause while the socket is absent (a host starting): a stat every 10 ms costs nothing, and a
    /// first record waits at most that long after the host binds (ADR 0049).
    /// </summary>
    private static readonly TimeSpan LongestAbsentPause = TimeSpan.FromMilliseconds(10);
    private readonly Stream _stream;

    private HostClient(Stream stream) => _stream = stream;

    /// <summary>Connects if a host is serving the memory, or returns null once <paramref name="timeout"/> has passed.</summary>
    public static Task<HostClient?> TryConnectAsync(MemoryPaths paths, TimeSpan timeout, CancellationToken cancellation = default) =>
        Task.FromResult(TryConnectSocket(HostAddress.PipeName(paths), timeout, cancellation));

    /// <summary>
    /// Connects to the host's socket, retrying while it is absent or refuses (a host still starting, or a full
    /// accept queue) until the timeout. Something else at the socket's path (a file, a folder, a symbolic link,
    /// another user's socket), or a socket served by another user, is never talked to: that throws
    /// <see cref="HostAddressException"/> naming the path, at once.
    /// </summary>
    private static HostClient? TryConnectSocket(string path, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var busyDeadline = Stopwatch.GetTimestamp() + (long)(BusyHostPatience.TotalSeconds * Stopwatch.Frequency);
        var pause = FirstRetryPause;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var busy = false;
            // An absent socket means no host has bound it yet; a connect would only fail with an exception.
            var present = Posix.Supported ? Posix.LinkStatus(path) is not null : File.Exists(path);
            if (present)
            {
                if (HostAddress.SquatterAt(path) is { } squatter) throw new HostAddressException(squatter);
                try
                {
                    var (stream, peer) = Open(path, SocketTimeout(timeout));
                    if (Posix.Supported && peer?.Uid != Posix.EffectiveUserId)
                    {
                        stream.Dispose();
                        throw new HostAddressException($"{path} is served by another user's process ({Peer(peer)}), not by this user's host; remove it (rm {path}) and retry");
                    }
                    return new HostClient(stream);
                }
                catch (SocketException e)
                {
                    // A full accept queue means a host is listening and busy: keep waiting for it, as the named-pipe
                    // client's blocking connect does, rather than take it for no host and go and start another.
                    busy = e.SocketErrorCode is SocketError.WouldBlock or SocketError.TimedOut or SocketError.TryAgain;
                }
            }
            var now = Stopwatch.GetTimestamp();
            if (now >= (busy ? busyDeadline : deadline)) return null;
            Thread.Sleep(pause);
            pause = Longer(pause, present ? LongestRetryPause : LongestAbsentPause);
        }
    }

    /// <summary>
    /// Connects, with <paramref name="timeoutMs"/> as the send timeout: a connect to a full accept queue blocks for it,
    /// then fails with EAGAIN. On Linux with libc's calls (<see cref="UnixSocketStream"/>: no socket engine thread for
    /// one round trip), elsewhere with .NET's <see cref="Socket"/>.
    /// </summary>
    private static (Stream Stream, (int Pid, uint Uid)? Peer) Open(string path, int timeoutMs)
    {
        if (Posix.Supported)
        {
            var unixSocket = UnixSocketStream.Connect(path, timeoutMs);
            return (unixSocket, unixSocket.Peer);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.SendTimeout = timeoutMs;
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return (new NetworkStream(socket, ownsSocket: true), null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Peer((int Pid, uint Uid)? peer) => peer is { } p ? $"pid {p.Pid}, uid {p.Uid}" : "unknown";

    private static TimeSpan Longer(TimeSpan pause, TimeSpan longest) => pause * 2 < longest ? pause * 2 : longest;

    /// <summary>How long a client waits for a host whose accept queue is full before it gives up on it.</summary>
    private static readonly TimeSpan BusyHostPatience = TimeSpan.FromSeconds(60);

    public async Task<WireResponse> SendAsync(WireRequest request, TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (_stream is UnixSocketStream or NetworkStream) return Send(request, timeout);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        await FrameCodec.WriteAsync(_stream, FrameCodec.Encode(request), deadline.Token);
        var body = await FrameCodec.ReadAsync(_stream, WireProtocol.MaxFrameBytes, deadline.Token)
            ?? throw new IOException("the host closed the connection without answering");
        return FrameCodec.DecodeResponse(body);
    }

    /// <summary>The round trip on the socket, on this thread. A timeout surfaces as <see cref="OperationCanceledException"/>, as on the async path.</summary>
    private WireResponse Send(WireRequest request, TimeSpan timeout)
    {
        if (_stream is UnixSocketStream unixSocket) unixSocket.SetTimeouts(SocketTimeout(timeout));
        else ((NetworkStream)_stream).Socket.SendTimeout = ((NetworkStream)_stream).Socket.ReceiveTimeout = SocketTimeout(timeout);
        try
        {
            FrameCodec.Write(_stream, FrameCodec.Encode(request));
            var body = FrameCodec.Read(_stream, WireProtocol.MaxFrameBytes)
                ?? throw new IOException("the host closed the connection without answering");
            return FrameCodec.DecodeResponse(body);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            throw new OperationCanceledException("the host did not answer in time", e);
        }
    }

    /// <summary>A socket timeout in milliseconds: at least 1 (0 would mean none), at most what an int holds.</summary>
    private static int SocketTimeout(TimeSpan timeout) => Math.Max(1, (int)Math.Min(timeout.TotalMilliseconds, int.MaxValue));

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
