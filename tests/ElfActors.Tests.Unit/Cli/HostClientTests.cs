using System.Diagnostics;
using System.Net.Sockets;
using ElfActors.Contracts;
using ElfActors.Contracts.Client;
using ElfActors.Contracts.Wire;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Cli;

/// <summary>
/// The client's round trip on the memory's socket, against stand-in hosts that misbehave: none listening, one that
/// never answers, one that hangs up. Each must end within its timeout with the error the CLI maps to exit 3.
/// </summary>
public sealed class HostClientTests
{
    [Fact]
    public async Task No_host_listening_gives_no_connection_once_the_probe_timeout_passes()
    {
        using var memory = new TempMemory();
        var clock = Stopwatch.StartNew();
        Assert.Null(await HostClient.TryConnectAsync(memory.Paths, TimeSpan.FromMilliseconds(300)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_host_that_accepts_and_never_answers_times_out_as_a_cancellation()
    {
        using var memory = new TempMemory();
        using var listener = Listen(memory.Paths);
        var (client, connection) = await listener.ConnectClientAsync(memory.Paths);
        await using var _ = client;

        var clock = Stopwatch.StartNew();
        // On a thread of its own: a client that ignored its timeout would block this one for good.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Task.Run(() => client.SendAsync(new WireRequest { Command = WireProtocol.Commands.Ping }, TimeSpan.FromMilliseconds(500))).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
        // The request itself went out, framed.
        var header = new byte[4];
        Assert.Equal(4, await connection.ReceiveAsync(header));
        Assert.True(BitConverter.ToInt32(header) > 0);
    }

    [Fact]
    public async Task A_host_that_hangs_up_without_answering_is_a_lost_connection()
    {
        using var memory = new TempMemory();
        using var listener = Listen(memory.Paths);
        var (client, connection) = await listener.ConnectClientAsync(memory.Paths);
        await using var _ = client;
        connection.Dispose();

        // Whether the write already fails (broken pipe) or the read finds the end of the stream, it is an IOException.
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<IOException>(() =>
            client.SendAsync(new WireRequest { Command = WireProtocol.Commands.Ping }, TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}: the hang-up was not noticed");
    }

    [Fact]
    public async Task A_framed_answer_is_decoded()
    {
        using var memory = new TempMemory();
        using var listener = Listen(memory.Paths);
        var serve = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync();
            await using var stream = new NetworkStream(connection);
            var request = FrameCodec.DecodeRequest((await FrameCodec.ReadAsync(stream, WireProtocol.MaxFrameBytes, default))!);
            await FrameCodec.WriteAsync(stream, FrameCodec.Encode(new WireResponse { Status = WireProtocol.Statuses.Ok, Message = "echo " + request.Command }), default);
        });
        await using var client = await HostClient.TryConnectAsync(memory.Paths, TimeSpan.FromSeconds(5));
        Assert.NotNull(client);
        var response = await client.SendAsync(new WireRequest { Command = WireProtocol.Commands.Ping }, TimeSpan.FromSeconds(10));
        Assert.Equal("echo " + WireProtocol.Commands.Ping, response.Message);
        await serve;
    }

    [Fact]
    public async Task A_host_whose_accept_queue_is_full_is_waited_for_not_taken_for_no_host()
    {
        using var memory = new TempMemory();
        using var listener = Listen(memory.Paths, backlog: 1);
        // Fill the queue: non-blocking connects succeed until the kernel refuses one with EAGAIN.
        var queued = new List<Socket>();
        try
        {
            while (queued.Count < 64)
            {
                var filler = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                try
                {
                    filler.Connect(new UnixDomainSocketEndPoint(HostAddress.PipeName(memory.Paths)));
                    queued.Add(filler);
                }
                catch (SocketException)
                {
                    filler.Dispose();
                    break;
                }
            }
            Assert.InRange(queued.Count, 1, 63);

            // The probe timeout passes while the queue is full; the host then accepts, and the client gets in.
            var connecting = Task.Run(() => HostClient.TryConnectAsync(memory.Paths, TimeSpan.FromMilliseconds(200)));
            await Task.Delay(700);
            Assert.False(connecting.IsCompleted, "the client gave up on a busy host");
            var accepted = new List<Socket>();
            for (var i = 0; i <= queued.Count; i++) accepted.Add(await listener.AcceptAsync());
            await using var client = await connecting.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(client);
            foreach (var socket in accepted) socket.Dispose();
        }
        finally
        {
            foreach (var socket in queued) socket.Dispose();
        }
    }

    private static StandInHost Listen(MemoryPaths paths, int backlog = 8) => new(HostAddress.PipeName(paths), backlog);

    /// <summary>A socket at the memory's pipe path, removed afterwards.</summary>
    private sealed class StandInHost : IDisposable
    {
        private readonly string _path;
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly List<Socket> _accepted = [];

        public StandInHost(string path, int backlog)
        {
            _path = path;
            HostAddress.EnsureRuntimeDirectory();
            File.Delete(path);
            _socket.Bind(new UnixDomainSocketEndPoint(path));
            _socket.Listen(backlog);
        }

        public Task<Socket> AcceptAsync() => _socket.AcceptAsync();

        /// <summary>A client connected through <see cref="HostClient"/>, and this side's end of it (disposed with this stand-in).</summary>
        public async Task<(HostClient Client, Socket Connection)> ConnectClientAsync(MemoryPaths paths)
        {
            var accepted = AcceptAsync();
            var client = await HostClient.TryConnectAsync(paths, TimeSpan.FromSeconds(5));
            Assert.NotNull(client);
            var connection = await accepted;
            _accepted.Add(connection);
            return (client, connection);
        }

        public void Dispose()
        {
            foreach (var connection in _accepted) connection.Dispose();
            _socket.Dispose();
            File.Delete(_path);
        }
    }
}
