using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ElfActors.Contracts.Client;

/// <summary>
/// A connected Unix stream socket made with five libc calls (Linux): socket, connect, send, recv, close, with the
/// timeouts set on the socket itself (SO_SNDTIMEO, SO_RCVTIMEO). <see cref="Socket"/> does the same round trip with a
/// timeout through its event engine: an epoll instance and a thread, and two probe sockets for IPv4 and IPv6 support,
/// in a process that sends one request and exits (docs/adr/0022, "the connect path").
/// Errors are thrown as <see cref="SocketException"/> (inside an <see cref="IOException"/> for reads and writes), as
/// <see cref="NetworkStream"/> throws them, so callers handle both the same way.
/// </summary>
public sealed unsafe partial class UnixSocketStream : Stream
{
    private const int AfUnix = 1, SockStream = 1, SockCloexec = 0x80000, SolSocket = 1;
    private const int SoRcvTimeo = 20, SoSndTimeo = 21, SoPeerCred = 17, MsgNoSignal = 0x4000;
    private const int Eintr = 4, Eagain = 11;
    private const int SunPathLength = 108;
    private int _descriptor;

    private UnixSocketStream(int descriptor) => _descriptor = descriptor;

    /// <summary>The pid and uid of the process that accepted the connection (SO_PEERCRED: its credentials when it connected).</summary>
    public (int Pid, uint Uid)? Peer { get; private set; }

    /// <summary>
    /// Connects to the socket at <paramref name="path"/>, with <paramref name="timeoutMs"/> as the send timeout, which
    /// also bounds a connect to a full accept queue (it then fails with EAGAIN, <see cref="SocketError.WouldBlock"/>).
    /// </summary>
    public static UnixSocketStream Connect(string path, int timeoutMs)
    {
        var pathBytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (pathBytes >= SunPathLength) throw new ArgumentException($"the socket path is longer than {SunPathLength - 1} bytes: {path}", nameof(path));
        var descriptor = socket(AfUnix, SockStream | SockCloexec, 0);
        if (descriptor < 0) throw LastError();
        var stream = new UnixSocketStream(descriptor);
        try
        {
            SetTimeout(descriptor, SoSndTimeo, timeoutMs);
            var address = stackalloc byte[2 + SunPathLength];
            new Span<byte>(address, 2 + SunPathLength).Clear();
            *(ushort*)address = AfUnix;
            System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(address + 2, SunPathLength - 1));
            int result;
            do result = connect(descriptor, address, 2 + pathBytes + 1);
            while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);
            if (result < 0) throw LastError();
            var credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
            var length = 12;
            if (getsockopt(descriptor, SolSocket, SoPeerCred, credentials, &length) == 0 && length >= 12)
                stream.Peer = (*(int*)credentials, *(uint*)(credentials + 4));
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Sets both timeouts of the connected socket, in milliseconds; a read or write that runs out throws (<see cref="SocketError.TimedOut"/>).</summary>
    public void SetTimeouts(int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_descriptor < 0, this);
        SetTimeout(_descriptor, SoSndTimeo, timeoutMs);
        SetTimeout(_descriptor, SoRcvTimeo, timeoutMs);
    }

    private static void SetTimeout(int descriptor, int option, int timeoutMs)
    {
        var value = stackalloc long[2]; // struct timeval { time_t tv_sec; suseconds_t tv_usec; } on 64-bit Linux
        value[0] = timeoutMs / 1000;
        value[1] = timeoutMs % 1000 * 1000L;
        if (setsockopt(descriptor, SolSocket, option, value, 16) < 0) throw LastError();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_descriptor < 0, this);
        fixed (byte* data = buffer)
        {
            while (true)
            {
                var read = recv(_descriptor, data, buffer.Length, 0);
                if (read >= 0) return (int)read;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr) throw Failure(errno, "read from");
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_descriptor < 0, this);
        fixed (byte* data = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                // MSG_NOSIGNAL: a host gone away is an error here (EPIPE), never a SIGPIPE that ends the process.
                var sent = send(_descriptor, data + done, buffer.Length - done, MsgNoSignal);
                if (sent >= 0)
                {
                    done += (int)sent;
                    continue;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr) throw Failure(errno, "write to");
            }
        }
    }

    private static IOException Failure(int errno, string what) =>
        new($"could not {what} the host's socket: {ErrorName(errno)}", errno == Eagain ? new SocketException((int)SocketError.TimedOut) : Error(errno));

    private static SocketException LastError() => Error(Marshal.GetLastPInvokeError());

    /// <summary>The errno as a <see cref="SocketError"/>, for the ones a client tells apart (busy, refused, gone).</summary>
    private static SocketException Error(int errno) => new(MapErrno(errno));

    private static int MapErrno(int errno) => (int)(errno switch
    {
        2 => SocketError.AddressNotAvailable, // ENOENT: the socket file went away
        11 => SocketError.WouldBlock, // EAGAIN: a full accept queue, or a timeout
        13 => SocketError.AccessDenied,
        32 => SocketError.Shutdown, // EPIPE
        104 => SocketError.ConnectionReset,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        _ => SocketError.SocketError,
    });

    private static string ErrorName(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    protected override void Dispose(bool disposing)
    {
        var descriptor = Interlocked.Exchange(ref _descriptor, -1);
        if (descriptor >= 0) close(descriptor);
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override bool CanRead => _descriptor >= 0;
    public override bool CanWrite => _descriptor >= 0;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int descriptor, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int descriptor, int level, int option, void* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int descriptor, int level, int option, void* value, int* length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int descriptor, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int descriptor, byte* buffer, nint length, int flags);

    [LibraryImport("libc")]
    private static partial int close(int descriptor);
}
