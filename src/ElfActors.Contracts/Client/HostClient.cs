using System.Diagnostics;
using System.IO.Pipes;
using System.Net.Sockets;
using ElfActors.Contracts.Wire;

namespace ElfActors.Contracts.Client;

/// <summary>
/// A connection to the host serving a memory: one request, one response, in frames.
/// On Linux the pipe is a Unix socket, and the client uses it as one, synchronously: a blocking connect, and
/// send and receive timeouts set on the socket. The async pipe client starts the thread pool, the socket
/// engine's thread and a timer thread for a single round trip, which was a third of an `elf` process's CPU
/// time (docs/adr/0009). Elsewhere the named-pipe client is used as it is.
/// </summary>
public sealed class HostClient : IAsyncDisposable
{
    // While a host starts, every waiting client polls its socket. 200 clients racing an empty memory polled every
    // 10 ms, each attempt a failed connect and a thrown SocketException: 1.2-1.6 cores of a 2-core machine, and
    // the starting host, short of CPU, answered nobody for over a minute. So pauses double up to 100 ms, and
    // an absent socket is seen with a stat(), without an exception.
    private static readonly TimeSpan FirstRetryPause = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan LongestRetryPause = TimeSpan.FromMilliseconds(100);
    private readonly Stream _stream;
    private readonly Socket? _socket;

    private HostClient(Stream stream, Socket? socket)
    {
        _stream = stream;
        _socket = socket;
    }

    /// <summary>Connects if a host is serving the memory, or returns null once <paramref name="timeout"/> has passed.</summary>
    public static async Task<HostClient?> TryConnectAsync(MemoryPaths paths, TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (OperatingSystem.IsLinux()) return TryConnectSocket(HostAddress.PipeName(paths), timeout, cancellation);

        var pipe = new NamedPipeClientStream(".", HostAddress.PipeName(paths), PipeDirection.InOut,
            PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            await pipe.ConnectAsync(timeout, cancellation);
            return new HostClient(pipe, socket: null);
        }
        catch (Exception e) when (e is TimeoutException or IOException or UnauthorizedAccessException)
        {
            await pipe.DisposeAsync();
            return null;
        }
    }

    /// <summary>
    /// Connects to the host's socket, retrying while it is absent or refuses (a host still starting, or a full
    /// accept queue) until the timeout. Like the named-pipe client's CurrentUserOnly, a socket served by another
    /// user (anyone can create a file in /tmp) is refused.
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
            if (File.Exists(path))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    // A connect to a full accept queue blocks for the send timeout, then fails with EAGAIN.
                    socket.SendTimeout = SocketTimeout(timeout);
                    socket.Connect(new UnixDomainSocketEndPoint(path));
                    if (!ServedByThisUser(socket))
                    {
                        socket.Dispose();
                        return null;
                    }
                    return new HostClient(new NetworkStream(socket, ownsSocket: true), socket);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    // A full accept queue means a host is listening and busy: keep waiting for it, as the named-pipe
                    // client's blocking connect does, rather than take it for no host and go and start another.
                    busy = e.SocketErrorCode is SocketError.WouldBlock or SocketError.TimedOut or SocketError.TryAgain;
                }
            }
            var now = Stopwatch.GetTimestamp();
            if (now >= (busy ? busyDeadline : deadline)) return null;
            Thread.Sleep(pause);
            pause = Longer(pause);
        }
    }

    private static TimeSpan Longer(TimeSpan pause) => pause * 2 < LongestRetryPause ? pause * 2 : LongestRetryPause;

    /// <summary>How long a client waits for a host whose accept queue is full before it gives up on it.</summary>
    private static readonly TimeSpan BusyHostPatience = TimeSpan.FromSeconds(60);

    /// <summary>Whether the process at the other end runs as this process's effective user (SO_PEERCRED).</summary>
    private static bool ServedByThisUser(Socket socket)
    {
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        const int solSocket = 1, soPeerCred = 17;
        if (socket.GetRawSocketOption(solSocket, soPeerCred, credentials) < 8) return false;
        return BitConverter.ToUInt32(credentials[4..8]) == EffectiveUserId.Value;
    }

    // /proc/self/status "Uid:\treal\teffective\tsaved\tfs": .NET has no API for the effective uid.
    private static readonly Lazy<uint?> EffectiveUserId = new(() =>
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("Uid:", StringComparison.Ordinal)) continue;
            var fields = line["Uid:".Length..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 1 && uint.TryParse(fields[1], out var uid) ? uid : null;
        }
        return null;
    });

    public async Task<WireResponse> SendAsync(WireRequest request, TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (_socket is not null) return Send(request, timeout);
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
        _socket!.SendTimeout = _socket.ReceiveTimeout = SocketTimeout(timeout);
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
