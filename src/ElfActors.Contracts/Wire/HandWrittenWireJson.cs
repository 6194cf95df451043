using System.Buffers;
using System.Text.Json;

namespace ElfActors.Contracts.Wire;

/// <summary>
/// The client's JSON for one round trip, written and read with <see cref="Utf8JsonWriter"/> and <see cref="Utf8JsonReader"/>
/// instead of <see cref="WireJsonContext"/>. The source-generated serializer builds its metadata for every type a
/// request or a response can hold (HostStatus, VerifyResult, …) and looks for polymorphism attributes by reflection
/// the first time it is used, which in an `elf` process that sends one request was a third of its CPU and 400 KB of
/// its allocations (docs/adr/0061).
/// <para>
/// <see cref="Encode"/> writes exactly the bytes <see cref="WireJsonContext"/> writes (same property order, nulls left
/// out, same escaping: both use <see cref="Utf8JsonWriter"/>'s default encoder). <see cref="DecodeResponse"/> reads the
/// answers to record commands (status, error, message, errors, record, hostVersion); anything else in the frame (another
/// property, a value of an unexpected kind, malformed JSON) is left to <see cref="WireJsonContext"/>, so that the result,
/// or the exception, is always the serializer's own. Tests compare both ways (HandWrittenWireJsonTests): a property
/// added to <see cref="WireRequest"/> or <see cref="WireResponse"/> must be added here too.
/// </para>
/// </summary>
public static class HandWrittenWireJson
{
    public static byte[] Encode(WireRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version"u8, request.Version);
            writer.WriteString("command"u8, request.Command);
            WriteIfNotNull(writer, "requestId"u8, request.RequestId);
            if (request.Failure is { } failure)
            {
                writer.WriteStartObject("failure"u8);
                WriteIfNotNull(writer, "title"u8, failure.Title);
                WriteIfNotNull(writer, "domain"u8, failure.Domain);
                WriteIfNotNull(writer, "severity"u8, failure.Severity);
                WriteIfNotNull(writer, "tags"u8, failure.Tags);
                WriteIfNotNull(writer, "summary"u8, failure.Summary);
                WriteIfNotNull(writer, "rowSummary"u8, failure.RowSummary);
                writer.WriteEndObject();
            }
            WriteIfNotNull(writer, "learningType"u8, request.LearningType);
            if (request.Heuristic is { } heuristic)
            {
                writer.WriteStartObject("heuristic"u8);
                WriteIfNotNull(writer, "domain"u8, heuristic.Domain);
                WriteIfNotNull(writer, "rule"u8, heuristic.Rule);
                WriteIfNotNull(writer, "explanation"u8, heuristic.Explanation);
                WriteIfNotNull(writer, "source"u8, heuristic.Source);
                WriteIfNotNull(writer, "confidence"u8, heuristic.Confidence);
                writer.WriteEndObject();
            }
            if (request.Decision is { } decision)
            {
                writer.WriteStartObject("decision"u8);
                WriteIfNotNull(writer, "title"u8, decision.Title);
                WriteIfNotNull(writer, "context"u8, decision.Context);
                WriteIfNotNull(writer, "options"u8, decision.Options);
                WriteIfNotNull(writer, "decision"u8, decision.Decision);
                WriteIfNotNull(writer, "rationale"u8, decision.Rationale);
                WriteIfNotNull(writer, "domain"u8, decision.Domain);
                WriteIfNotNull(writer, "files"u8, decision.Files);
                WriteIfNotNull(writer, "tests"u8, decision.Tests);
                writer.WriteEndObject();
            }
            writer.WriteBoolean("waitCommit"u8, request.WaitCommit);
            if (request.TimeoutSeconds is { } timeout) writer.WriteNumber("timeoutSeconds"u8, timeout);
            writer.WriteBoolean("repair"u8, request.Repair);
            WriteIfNotNull(writer, "clientVersion"u8, request.ClientVersion);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteIfNotNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null) writer.WriteString(name, value);
    }

    /// <summary>The response in <paramref name="body"/>, as <see cref="WireJsonContext"/> reads it.</summary>
    public static WireResponse? DecodeResponse(byte[] body)
    {
        try
        {
            if (TryReadRecordResponse(body) is { } response) return response;
        }
        catch (JsonException)
        {
            // Malformed: the serializer below throws its own exception for it.
        }
        catch (InvalidOperationException)
        {
            // A value of another kind than expected (Get* on the wrong token): the serializer decides.
        }
        return JsonSerializer.Deserialize(body, WireJsonContext.Default.WireResponse);
    }

    /// <summary>The response when it holds only what an answer to a record command holds, each property once; else null.</summary>
    internal static WireResponse? TryReadRecordResponse(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        int? version = null;
        string? status = null, error = null, message = null, hostVersion = null;
        List<FieldError>? errors = null;
        RecordResult? record = null;
        bool seenStatus = false, seenError = false, seenMessage = false, seenHostVersion = false, seenErrors = false, seenRecord = false;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName) return null;
            if (reader.ValueTextEquals("version"u8))
            {
                if (version is not null || !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var v)) return null;
                version = v;
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                if (seenStatus || !TryReadString(ref reader, out status)) return null;
                seenStatus = true;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                if (seenError || !TryReadString(ref reader, out error)) return null;
                seenError = true;
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                if (seenMessage || !TryReadString(ref reader, out message)) return null;
                seenMessage = true;
            }
            else if (reader.ValueTextEquals("hostVersion"u8))
            {
                if (seenHostVersion || !TryReadString(ref reader, out hostVersion)) return null;
                seenHostVersion = true;
            }
            else if (reader.ValueTextEquals("errors"u8))
            {
                if (seenErrors || !TryReadErrors(ref reader, out errors)) return null;
                seenErrors = true;
            }
            else if (reader.ValueTextEquals("record"u8))
            {
                if (seenRecord || !TryReadRecord(ref reader, out record)) return null;
                seenRecord = true;
            }
            else return null;
        }
        if (reader.Read()) return null; // something after the object: the serializer's error
        // Every property set, to its default when absent: the generated serializer sets init-only properties that way,
        // not to their initializers (a response without "status" reads as status null, not "ok").
        return new WireResponse
        {
            Version = version ?? 0, Status = status!, Error = error, Message = message, Errors = errors, Record = record, HostVersion = hostVersion,
        };
    }

    /// <summary>Reads a property's value that is a string or null.</summary>
    private static bool TryReadString(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (!reader.Read()) return false;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.String) return false;
        value = reader.GetString();
        return true;
    }

    private static bool TryReadErrors(ref Utf8JsonReader reader, out List<FieldError>? errors)
    {
        errors = null;
        if (!reader.Read()) return false;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartArray) return false;
        errors = [];
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndArray) return true;
            if (reader.TokenType != JsonTokenType.StartObject) return false;
            string? field = null, message = null;
            bool seenField = false, seenMessage = false;
            while (true)
            {
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndObject) break;
                if (reader.TokenType != JsonTokenType.PropertyName) return false;
                if (reader.ValueTextEquals("field"u8))
                {
                    if (seenField || !TryReadString(ref reader, out field)) return false;
                    seenField = true;
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    if (seenMessage || !TryReadString(ref reader, out message)) return false;
                    seenMessage = true;
                }
                else return false;
            }
            errors.Add(new FieldError(field!, message!));
        }
    }

    private static bool TryReadRecord(ref Utf8JsonReader reader, out RecordResult? record)
    {
        record = null;
        if (!reader.Read()) return false;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        long? id = null;
        bool? duplicate = null;
        string? path = null, requestId = null, commit = null;
        bool seenPath = false, seenRequestId = false, seenCommit = false;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName) return false;
            if (reader.ValueTextEquals("id"u8))
            {
                if (id is not null || !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value)) return false;
                id = value;
            }
            else if (reader.ValueTextEquals("duplicate"u8))
            {
                if (duplicate is not null || !reader.Read() || reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) return false;
                duplicate = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("path"u8))
            {
                if (seenPath || !TryReadString(ref reader, out path)) return false;
                seenPath = true;
            }
            else if (reader.ValueTextEquals("requestId"u8))
            {
                if (seenRequestId || !TryReadString(ref reader, out requestId)) return false;
                seenRequestId = true;
            }
            else if (reader.ValueTextEquals("commit"u8))
            {
                if (seenCommit || !TryReadString(ref reader, out commit)) return false;
                seenCommit = true;
            }
            else return false;
        }
        record = new RecordResult(id ?? 0, path!, requestId!, duplicate ?? false, commit);
        return true;
    }
}
