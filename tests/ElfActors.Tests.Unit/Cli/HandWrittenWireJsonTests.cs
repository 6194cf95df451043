using System.Reflection;
using System.Text;
using System.Text.Json;
using ElfActors.Contracts.Wire;

namespace ElfActors.Tests.Cli;

/// <summary>
/// The client's hand-written JSON (docs/adr/0061) against the source-generated serializer it replaces on the client's
/// path: a request's bytes must be the serializer's, and a response must read as the serializer reads it (or fail as
/// it fails), whatever the host sends.
/// </summary>
public sealed class HandWrittenWireJsonTests
{
    // What the default encoder escapes (<>&'"\, control characters, non-ASCII) and what it leaves.
    private const string Awkward = "quote \" back\\slash <tag> & 'apostrophe' tab\t new\nline \u0001 é 日本 😀 +plain";

    public static TheoryData<string, WireRequest> Requests() => new()
    {
        { "ping", new WireRequest { Command = WireProtocol.Commands.Ping } },
        { "status without a version", new WireRequest { Command = WireProtocol.Commands.Status, ClientVersion = null } },
        { "plain failure", new WireRequest
        {
            Command = WireProtocol.Commands.RecordFailure, RequestId = "0123456789abcdef0123456789abcdef", TimeoutSeconds = 60,
            Failure = new FailureFields("Build broke", "ci", null, null, "measured"),
        } },
        { "every failure field, awkward text", new WireRequest
        {
            Command = WireProtocol.Commands.RecordFailure, RequestId = Awkward, TimeoutSeconds = 0.1, WaitCommit = true,
            Failure = new FailureFields(Awkward, "d", "high", "a,b", Awkward + "\r\n" + new string('x', 3000), "row"),
        } },
        { "record of a type", new WireRequest
        {
            Command = WireProtocol.Commands.Record, LearningType = "observation", TimeoutSeconds = 1e-7,
            Failure = new FailureFields("t", "d", "2", "", "", ""),
        } },
        { "heuristic", new WireRequest
        {
            Command = WireProtocol.Commands.RecordHeuristic, TimeoutSeconds = 86_400.125,
            Heuristic = new HeuristicFields("git", Awkward, "because", "observation", "0.8"),
        } },
        { "decision", new WireRequest
        {
            Command = WireProtocol.Commands.RecordDecision, TimeoutSeconds = 30,
            Decision = new DecisionFields("t", "c", "o", "d", "r", "dom", "a.cs", Awkward),
        } },
        { "verify with repair, every part at once", new WireRequest
        {
            Version = 7, Command = WireProtocol.Commands.Verify, Repair = true, WaitCommit = true, TimeoutSeconds = double.MaxValue,
            Failure = new FailureFields(null, null, null, null, null), LearningType = "", Heuristic = new HeuristicFields(null, null, null, null, null),
            Decision = new DecisionFields(null, null, null, null, null, null, null, null), ClientVersion = Awkward,
        } },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void A_request_is_written_byte_for_byte_as_the_serializer_writes_it(string what, WireRequest request)
    {
        var expected = JsonSerializer.SerializeToUtf8Bytes(request, WireJsonContext.Default.WireRequest);
        Assert.True(expected.AsSpan().SequenceEqual(HandWrittenWireJson.Encode(request)),
            $"{what}:\nserializer: {Encoding.UTF8.GetString(expected)}\nby hand:    {Encoding.UTF8.GetString(HandWrittenWireJson.Encode(request))}");
    }

    /// <summary>Every ASCII character, alone between two letters, and a few beyond ASCII: escaped (or not) as the serializer does.</summary>
    [Fact]
    public void Every_character_is_escaped_as_the_serializer_escapes_it()
    {
        var texts = Enumerable.Range(0, 128).Select(c => $"a{(char)c}b").Concat(["é", "\u00A0", "\u2028", "日本", "😀", "a\u0000\u001F\u007F\u0080b", ""]);
        var different = new List<string>();
        foreach (var text in texts)
        {
            var request = new WireRequest { Command = WireProtocol.Commands.RecordFailure, Failure = new FailureFields(text, text, null, null, text) };
            var expected = JsonSerializer.SerializeToUtf8Bytes(request, WireJsonContext.Default.WireRequest);
            var actual = HandWrittenWireJson.Encode(request);
            if (!expected.AsSpan().SequenceEqual(actual))
                different.Add($"U+{(text.Length == 3 ? (int)text[1] : -1):X4}: serializer {Encoding.UTF8.GetString(expected)} by hand {Encoding.UTF8.GetString(actual)}");
        }
        Assert.Empty(different);
    }

    /// <summary>
    /// The writer names every property itself: one added to a request type would be left out of every request without
    /// this list failing first.
    /// </summary>
    [Theory]
    [InlineData(typeof(WireRequest), "Version,Command,RequestId,Failure,LearningType,Heuristic,Decision,WaitCommit,TimeoutSeconds,Repair,ClientVersion")]
    [InlineData(typeof(FailureFields), "Title,Domain,Severity,Tags,Summary,RowSummary")]
    [InlineData(typeof(HeuristicFields), "Domain,Rule,Explanation,Source,Confidence")]
    [InlineData(typeof(DecisionFields), "Title,Context,Options,Decision,Rationale,Domain,Files,Tests")]
    public void The_writer_knows_every_property_of_the_request_types(Type type, string written)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract").Select(p => p.Name);
        Assert.Equal(written.Split(','), properties);
    }

    public static TheoryData<string, string> Responses() => new()
    {
        { "recorded", Serialized(new WireResponse { Record = new RecordResult(42, "memory/failures/20261205_x.md", "abc", false, null), HostVersion = "0.1.0+abc" }) },
        { "recorded, committed, duplicate", Serialized(new WireResponse { Record = new RecordResult(long.MaxValue, Awkward, Awkward, true, "deadbeef"), HostVersion = Awkward, Message = Awkward }) },
        { "rejected with field errors", Serialized(new WireResponse { Status = WireProtocol.Statuses.Rejected, Message = "invalid input", Errors = [new FieldError("title", "is required"), new FieldError("domain", Awkward)] }) },
        { "no errors listed", Serialized(new WireResponse { Status = WireProtocol.Statuses.Failed, Errors = [] }) },
        { "version mismatch", Serialized(new WireResponse { Status = WireProtocol.Statuses.Failed, Error = WireProtocol.Errors.VersionMismatch, HostVersion = "9.9.9" }) },
        { "shutting down", Serialized(WireResponse.ProtocolError(WireProtocol.Errors.ShuttingDown, "the host is stopping")) },
        { "status (the serializer's)", Serialized(new WireResponse { HostStatus = new HostStatus { Running = true, BasePath = "/m", Pid = 3, LastCommitAt = DateTimeOffset.UnixEpoch } }) },
        { "flush (the serializer's)", Serialized(new WireResponse { Flush = new FlushResult(1, 2, 0.5) }) },
        { "verify (the serializer's)", Serialized(new WireResponse { Verify = new VerifyResult { Consistent = false, Modified = ["a"] } }) },
        { "sync (the serializer's)", Serialized(new WireResponse { Sync = new SyncStatus { State = "idle" } }) },
        { "reordered, spaced, escaped names", """ { "record" : {"commit":null,"duplicate":false,"requestId":"r","path":"p","id":1}, "st\u0061tus":"ok", "version":1 } """ },
        { "explicit nulls", """{"version":1,"status":"ok","error":null,"message":null,"errors":null,"record":null,"hostVersion":null}""" },
        { "missing version and status", """{"message":"m"}""" },
        { "a record missing its fields", """{"record":{}}""" },
        { "a field error missing its fields", """{"errors":[{}]}""" },
        { "unknown property", """{"status":"ok","future":{"a":[1,2]},"record":{"id":1,"path":"p","requestId":"r","duplicate":false}}""" },
        { "unknown property in a record", """{"record":{"id":1,"path":"p","requestId":"r","duplicate":false,"extra":1}}""" },
        { "status null", """{"status":null}""" },
        { "duplicate property", """{"status":"ok","status":"failed"}""" },
        { "id as a string", """{"record":{"id":"1"}}""" },
        { "fractional id", """{"record":{"id":1.5}}""" },
        { "version too large", """{"version":3000000000}""" },
        { "status as a number", """{"status":1}""" },
        { "errors as an object", """{"errors":{}}""" },
        { "null", "null" },
        { "an array", "[]" },
        { "trailing garbage", """{"status":"ok"} x""" },
        { "trailing comma", """{"status":"ok",}""" },
        { "truncated", """{"status":"ok","record":{"id":1""" },
        { "comment", """{"status":"ok" /* c */}""" },
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public void A_response_reads_as_the_serializer_reads_it_or_fails_as_it_fails(string what, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var expected = Outcome(() => JsonSerializer.Deserialize(body, WireJsonContext.Default.WireResponse));
        var actual = Outcome(() => HandWrittenWireJson.DecodeResponse(body));
        Assert.True(expected == actual, $"{what}:\nserializer: {expected}\nby hand:    {actual}");
    }

    /// <summary>An answer to a record command is read by hand, not handed to the serializer: what the client's CPU depends on.</summary>
    [Theory]
    [InlineData("recorded")]
    [InlineData("recorded, committed, duplicate")]
    [InlineData("rejected with field errors")]
    [InlineData("version mismatch")]
    [InlineData("shutting down")]
    [InlineData("reordered, spaced, escaped names")]
    [InlineData("explicit nulls")]
    public void Answers_to_record_commands_are_read_without_the_serializer(string what)
    {
        var json = (string)Responses().Single(row => (string)row[0] == what)[1];
        Assert.NotNull(HandWrittenWireJson.TryReadRecordResponse(Encoding.UTF8.GetBytes(json)));
    }

    private static string Serialized(WireResponse response) => JsonSerializer.Serialize(response, WireJsonContext.Default.WireResponse);

    /// <summary>The response as the serializer writes it back, or the exception's type: what two readers must agree on.</summary>
    private static string Outcome(Func<WireResponse?> read)
    {
        try
        {
            return read() is { } response ? "read: " + Serialized(response) : "read: null";
        }
        catch (Exception e)
        {
            return "threw " + e.GetType().FullName;
        }
    }
}
