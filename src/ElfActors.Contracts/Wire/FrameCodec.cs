using System.Buffers.Binary;
using System.Text.Json;

namespace ElfActors.Contracts.Wire;

/// <summary>A frame that broke the protocol; the reader cannot continue on that connection.</summary>
public sealed class FrameException(string error, string message) : Exception(message)
{
    public string Error { get; } = error;
}

/// <summary>
/// Frames on the pipe: a 4-byte little-endian length, then that many bytes of UTF-8 JSON. Unix sockets have no
/// message mode, so each side reads exactly one length and one body, and refuses lengths over the cap before
/// allocating anything.
/// </summary>
public static class FrameCodec
{
    public static async Task WriteAsync(Stream stream, byte[] payload, CancellationToken cancellation)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        await stream.WriteAsync(frame, cancellation);
        await stream.FlushAsync(cancellation);
    }

    /// <summary>The next frame's body, or null when the peer closed the connection between frames.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellation)
    {
        var header = new byte[4];
        var read = await ReadUpToAsync(stream, header, cancellation);
        if (read == 0) return null;
        if (read < 4) throw new FrameException(WireProtocol.Errors.MalformedFrame, "the connection closed in the middle of a frame header");
        var length = CheckedLength(BinaryPrimitives.ReadInt32LittleEndian(header), maxBytes);
        var body = new byte[length];
        if (await ReadUpToAsync(stream, body, cancellation) < length)
            throw new FrameException(WireProtocol.Errors.MalformedFrame, "the connection closed in the middle of a frame");
        return body;
    }

    private static async Task<int> ReadUpToAsync(Stream stream, byte[] buffer, CancellationToken cancellation)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), cancellation);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>The synchronous <see cref="WriteAsync"/>, for a client that needs no thread pool.</summary>
    public static void Write(Stream stream, byte[] payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        stream.Write(frame);
        stream.Flush();
    }

    /// <summary>The synchronous <see cref="ReadAsync"/>.</summary>
    public static byte[]? Read(Stream stream, int maxBytes)
    {
        var header = new byte[4];
        var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read == 0) return null;
        if (read < 4) throw new FrameException(WireProtocol.Errors.MalformedFrame, "the connection closed in the middle of a frame header");
        var length = CheckedLength(BinaryPrimitives.ReadInt32LittleEndian(header), maxBytes);
        var body = new byte[length];
        if (stream.ReadAtLeast(body, length, throwOnEndOfStream: false) < length)
            throw new FrameException(WireProtocol.Errors.MalformedFrame, "the connection closed in the middle of a frame");
        return body;
    }

    private static int CheckedLength(int length, int maxBytes)
    {
        if (length <= 0) throw new FrameException(WireProtocol.Errors.MalformedFrame, $"invalid frame length {length}");
        if (length > maxBytes)
            throw new FrameException(WireProtocol.Errors.FrameTooLarge, $"frame of {length} bytes is over the limit of {maxBytes} bytes");
        return length;
    }

    /// <summary>A request's JSON, written by hand (<see cref="HandWrittenWireJson"/>): the bytes the serializer writes, without its start-up.</summary>
    public static byte[] Encode(WireRequest request) => HandWrittenWireJson.Encode(request);

    public static byte[] Encode(WireResponse response) => JsonSerializer.SerializeToUtf8Bytes(response, WireJsonContext.Default.WireResponse);

    public static WireRequest DecodeRequest(byte[] body)
    {
        WireRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body, WireJsonContext.Default.WireRequest);
        }
        catch (JsonException e)
        {
            throw new FrameException(WireProtocol.Errors.MalformedJson, "the request is not valid JSON: " + e.Message);
        }
        return request ?? throw new FrameException(WireProtocol.Errors.MalformedJson, "the request is empty (null)");
    }

    /// <summary>A response, read by hand when it answers a record command, else by the serializer (<see cref="HandWrittenWireJson"/>).</summary>
    public static WireResponse DecodeResponse(byte[] body) =>
        HandWrittenWireJson.DecodeResponse(body)
        ?? throw new FrameException(WireProtocol.Errors.MalformedJson, "the response is empty (null)");
}
