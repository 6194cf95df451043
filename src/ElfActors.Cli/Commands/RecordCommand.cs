using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

/// <summary>One field of a record command: <c>--name</c>, else the environment variable ELF's script read for it (if any).</summary>
internal sealed record RecordFlag(string Name, string? Variable, string Description, bool Required = false);

/// <summary>
/// A record command (record-failure, record-heuristic, record-decision, record …): its verb, its flags in order, what
/// it sends, what it prints once recorded. Every record command is one of these run by <see cref="RecordCommand"/>.
/// </summary>
/// <param name="Request">The request's record fields from the flags' values (in <paramref name="Flags"/>' order).</param>
/// <param name="Recorded">ELF's own success lines for the record and the request sent, which ELF's hooks and agents look for (not with --json).</param>
internal sealed record RecordCommandShape(
    string Verb,
    string WireCommand,
    string Description,
    IReadOnlyList<RecordFlag> Flags,
    Func<string?[], WireRequest> Request,
    Action<RecordResult, WireRequest> Recorded,
    string TimeoutCovers = "the record");

/// <summary>The options every record command shares, however they were read.</summary>
internal sealed record RecordCall(string? RequestId, bool Json, string? BasePath, int TimeoutSeconds);

/// <summary>Builds and runs record commands from their <see cref="RecordCommandShape"/>.</summary>
internal static class RecordCommand
{
    public const int DefaultTimeoutSeconds = 60;

    /// <summary>
    /// The command for a shape. <paramref name="extra"/> options (say record's --type) come first; <paramref name="withExtra"/>
    /// puts their values into the request.
    /// </summary>
    public static Command Create(RecordCommandShape shape, Option[]? extra = null, Func<ParseResult, WireRequest, WireRequest>? withExtra = null)
    {
        var flags = shape.Flags.Select(f => new Option<string?>("--" + f.Name) { Description = f.Variable is null ? f.Description : $"{f.Description} Env: {f.Variable}." }).ToArray();
        var requestId = new Option<string?>("--request-id")
        {
            Description = "Idempotency key: retrying with the same id returns the first record instead of a second one. Default: a new id.",
        };
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var timeout = ClientRunner.TimeoutOption(DefaultTimeoutSeconds, shape.TimeoutCovers);
        var command = new Command(shape.Verb, shape.Description);
        foreach (var option in extra ?? []) command.Options.Add(option);
        foreach (var option in flags) command.Options.Add(option);
        command.Options.Add(requestId);
        command.Options.Add(json);
        command.Options.Add(basePath);
        command.Options.Add(timeout);
        command.SetAction(async parse => await RunAsync(shape,
            flags.Select(parse.GetValue).ToArray(),
            new RecordCall(parse.GetValue(requestId), parse.GetValue(json), parse.GetValue(basePath), parse.GetValue(timeout)),
            request => withExtra is null ? request : withExtra(parse, request)));
        return command;
    }

    /// <summary>Reads each flag (else its environment variable), refuses missing required ones before any host starts, sends, prints.</summary>
    public static async Task<int> RunAsync(RecordCommandShape shape, string?[] given, RecordCall call, Func<WireRequest, WireRequest>? adjust = null)
    {
        // Loops, not LINQ over (flag, index) tuples: Native AOT builds those generic instantiations at run time, in
        // every record (docs/adr/0061).
        var values = new string?[shape.Flags.Count];
        var missing = new List<FieldError>();
        for (var i = 0; i < values.Length; i++)
        {
            var flag = shape.Flags[i];
            values[i] = flag.Variable is null ? given[i] : ClientRunner.Fallback(given[i], flag.Variable);
            // Checked here so that a missing flag never starts a host; everything else the host validates.
            if (flag.Required && string.IsNullOrWhiteSpace(values[i])) missing.Add(new FieldError(flag.Name, $"is required (--{flag.Name} or {flag.Variable})"));
        }
        if (missing.Count > 0) return ClientRunner.Reject(shape.Verb, missing, call.Json);

        var wait = TimeSpan.FromSeconds(call.TimeoutSeconds);
        var request = shape.Request(values) with
        {
            Command = shape.WireCommand,
            RequestId = call.RequestId ?? Guid.NewGuid().ToString("N"),
            TimeoutSeconds = wait.TotalSeconds,
        };
        if (adjust is not null) request = adjust(request);
        var response = await ClientRunner.SendAsync(shape.Verb, MemoryPaths.Resolve(call.BasePath), request, wait, startHost: true);
        if (response is null) return ExitCodes.HostUnreachable;
        if (call.Json) ClientRunner.PrintJson(response);
        if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail(shape.Verb, response);
        if (!call.Json && response.Record is { } record) shape.Recorded(record, request);
        return ExitCodes.Success;
    }
}
