using System.IO.Pipes;
using ElfActors.Contracts.Wire;

namespace ElfActors.Contracts.Client;

/// <summary>A connection to the host serving a memory: one request, one response, in frames.</summary>
public sealed class HostClient : IAsyncDisposable
{
    private readonly NamedPipeClientStream _pipe;

    private HostClient(NamedPipeClientStream pipe) => _pipe = pipe;

    /// <summary>Connects if a host is serving the memory, or returns null once <paramref name="timeout"/> has passed.</summary>
    public static async Task<HostClient?> TryConnectAsync(MemoryPaths paths, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var pipe = new NamedPipeClientStream(".", HostAddress.PipeName(paths), PipeDirection.InOut,
            PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            await pipe.ConnectAsync(timeout, cancellation);
            return new HostClient(pipe);
        }
        catch (Exception e) when (e is TimeoutException or IOException or UnauthorizedAccessException)
        {
            await pipe.DisposeAsync();
            return null;
        }
    }

    public async Task<WireResponse> SendAsync(WireRequest request, TimeSpan timeout, CancellationToken cancellation = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        await FrameCodec.WriteAsync(_pipe, FrameCodec.Encode(request), deadline.Token);
        var body = await FrameCodec.ReadAsync(_pipe, WireProtocol.MaxFrameBytes, deadline.Token)
            ?? throw new IOException("the host closed the connection without answering");
        return FrameCodec.DecodeResponse(body);
    }

    public ValueTask DisposeAsync() => _pipe.DisposeAsync();
}
