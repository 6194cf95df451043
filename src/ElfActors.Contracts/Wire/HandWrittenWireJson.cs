using System.Buffers;
using System.Text.Json;

namespace ElfActors.Contracts.Wire;

/// <summary>
/// The client's JSON for one round trip, written byte by byte and read with <see cref="Utf8JsonReader"/> instead of
/// <see cref="WireJsonContext"/>. The source-generated serializer builds its metadata for every type a
/// request or a response can hold (HostStatus, VerifyResult, …) and looks for polymorphism attributes by reflection
/// the first time it is used, which in an `elf` process that sends one request was a third of its CPU and 400 KB of
/// its allocations (docs/adr/0061).
/// <para>
/// <see cref="Encode"/> writes exactly the bytes <see cref="WireJsonContext"/> writes (same property order, nulls left
/// out, the default encoder's escaping). <see cref="DecodeResponse"/> reads the
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
        var json = new JsonBytes();
        json.StartObject();
        json.Number("version"u8, request.Version);
        json.String("command"u8, request.Command);
        json.StringIfNotNull("requestId"u8, request.RequestId);
        if (request.Failure is { } failure)
        {
            json.StartObject("failure"u8);
            json.StringIfNotNull("title"u8, failure.Title);
            json.StringIfNotNull("domain"u8, failure.Domain);
            json.StringIfNotNull("severity"u8, failure.Severity);
            json.StringIfNotNull("tags"u8, failure.Tags);
            json.StringIfNotNull("summary"u8, failure.Summary);
            json.StringIfNotNull("rowSummary"u8, failure.RowSummary);
            json.EndObject();
        }
        json.StringIfNotNull("learningType"u8, request.LearningType);
        if (request.Heuristic is { } heuristic)
        {
            json.StartObject("heuristic"u8);
            json.StringIfNotNull("domain"u8, heuristic.Domain);
            json.StringIfNotNull("rule"u8, heuristic.Rule);
            json.StringIfNotNull("explanation"u8, heuristic.Explanation);
            json.StringIfNotNull("source"u8, heuristic.Source);
            json.StringIfNotNull("confidence"u8, heuristic.Confidence);
            json.EndObject();
        }
        if (request.Decision is { } decision)
        {
            json.StartObject("decision"u8);
            json.StringIfNotNull("title"u8, decision.Title);
            json.StringIfNotNull("context"u8, decision.Context);
            json.StringIfNotNull("options"u8, decision.Options);
            json.StringIfNotNull("decision"u8, decision.Decision);
            json.StringIfNotNull("rationale"u8, decision.Rationale);
            json.StringIfNotNull("domain"u8, decision.Domain);
            json.StringIfNotNull("files"u8, decision.Files);
            json.StringIfNotNull("tests"u8, decision.Tests);
            json.EndObject();
        }
        json.Boolean("waitCommit"u8, request.WaitCommit);
        if (request.TimeoutSeconds is { } timeout) json.Number("timeoutSeconds"u8, timeout);
        json.Boolean("repair"u8, request.Repair);
        json.StringIfNotNull("clientVersion"u8, request.ClientVersion);
        json.EndObject();
        return json.ToArray();
    }

    /// <summary>
    /// JSON written as <see cref="Utf8JsonWriter"/> writes it with its default encoder, byte for byte, for property names
    /// that need no escaping. An ASCII string is escaped here, with the default encoder's choices (control characters,
    /// <c>"&amp;'+&lt;&gt;`\</c> and DEL); any other string goes through <see cref="JsonEncodedText"/>. Utf8JsonWriter would
    /// build the default encoder's table of allowed characters (64 K bits) for the first property name it checks, which
    /// was 7 % of a record's CPU (docs/adr/0061).
    /// </summary>
    private sealed class JsonBytes
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(512);
        private bool _comma;

        public void StartObject() => Byte((byte)'{');

        public void StartObject(ReadOnlySpan<byte> name)
        {
            Name(name);
            Byte((byte)'{');
            _comma = false;
        }

        public void EndObject()
        {
            Byte((byte)'}');
            _comma = true;
        }

        public void StringIfNotNull(ReadOnlySpan<byte> name, string? value)
        {
            if (value is not null) String(name, value);
        }

        public void String(ReadOnlySpan<byte> name, string value)
        {
            Name(name);
            Byte((byte)'"');
            if (System.Text.Ascii.IsValid(value))
            {
                foreach (var c in value) Character(c);
            }
            else
            {
                Bytes(JsonEncodedText.Encode(value).EncodedUtf8Bytes);
            }
            Byte((byte)'"');
            _comma = true;
        }

        public void Number(ReadOnlySpan<byte> name, int value)
        {
            Name(name);
            var span = _buffer.GetSpan(16);
            System.Buffers.Text.Utf8Formatter.TryFormat(value, span, out var written);
            _buffer.Advance(written);
            _comma = true;
        }

        public void Number(ReadOnlySpan<byte> name, double value)
        {
            Name(name);
            var span = _buffer.GetSpan(128);
            System.Buffers.Text.Utf8Formatter.TryFormat(value, span, out var written);
            _buffer.Advance(written);
            _comma = true;
        }

        public void Boolean(ReadOnlySpan<byte> name, bool value)
        {
            Name(name);
            Bytes(value ? "true"u8 : "false"u8);
            _comma = true;
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

        private void Name(ReadOnlySpan<byte> name)
        {
            if (_comma) Byte((byte)',');
            Byte((byte)'"');
            Bytes(name);
            Bytes("\":"u8);
        }

        private void Character(char c)
        {
            switch (c)
            {
                case '\b': Bytes("\\b"u8); return;
                case '\t': Bytes("\\t"u8); return;
                case '\n': Bytes("\\n"u8); return;
                case '\f': Bytes("\\f"u8); return;
                case '\r': Bytes("\\r"u8); return;
                case '\\': Bytes("\\\\"u8); return;
            }
            if (c < 0x20 || c == 0x7F || c is '"' or '&' or '\'' or '+' or '<' or '>' or '`')
            {
                Bytes("\\u00"u8);
                Byte((byte)"0123456789ABCDEF"[c >> 4]);
                Byte((byte)"0123456789ABCDEF"[c & 0xF]);
                return;
            }
            Byte((byte)c);
        }

        private void Byte(byte value)
        {
            _buffer.GetSpan(1)[0] = value;
            _buffer.Advance(1);
        }

        private void Bytes(ReadOnlySpan<byte> value) => _buffer.Write(value);
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
