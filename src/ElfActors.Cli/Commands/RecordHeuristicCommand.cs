using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class RecordHeuristicCommand
{
    public static Command Create()
    {
        var domain = new Option<string?>("--domain") { Description = "Domain; names the file memory/heuristics/<domain>.md (lower-cased, [a-z0-9-] kept, as ELF did). Env: HEURISTIC_DOMAIN." };
        var rule = new Option<string?>("--rule") { Description = "The heuristic, in one line (at most 500 characters). Env: HEURISTIC_RULE." };
        var explanation = new Option<string?>("--explanation") { Description = "Why it holds; may span lines (at most 5,000 characters). Env: HEURISTIC_EXPLANATION." };
        var source = new Option<string?>("--source") { Description = "Where it comes from: failure, success, observation … (default observation). Env: HEURISTIC_SOURCE." };
        var confidence = new Option<string?>("--confidence") { Description = "0.0-1.0, or low (0.3), medium (0.6), high (0.85). Default 0.5. Env: HEURISTIC_CONFIDENCE." };
        var requestId = new Option<string?>("--request-id")
        {
            Description = "Idempotency key: retrying with the same id returns the first record instead of a second one. Default: a new id.",
        };
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var timeout = ClientRunner.TimeoutOption(60, "the record");

        var command = new Command("record-heuristic", """
            Record a heuristic: a row in ELF's heuristics table and an entry appended to memory/heuristics/<domain>.md
            (one writer per domain file, so concurrent appends never lose or interleave an entry), then a git commit
            (batched with others). Takes ELF's flags and environment variables; starts a host when none runs.
            Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
            """)
        {
            domain, rule, explanation, source, confidence, requestId, json, basePath, timeout,
        };
        command.SetAction(async parse =>
        {
            var fields = new HeuristicFields(
                ClientRunner.Fallback(parse.GetValue(domain), "HEURISTIC_DOMAIN"),
                ClientRunner.Fallback(parse.GetValue(rule), "HEURISTIC_RULE"),
                ClientRunner.Fallback(parse.GetValue(explanation), "HEURISTIC_EXPLANATION"),
                ClientRunner.Fallback(parse.GetValue(source), "HEURISTIC_SOURCE"),
                ClientRunner.Fallback(parse.GetValue(confidence), "HEURISTIC_CONFIDENCE"));
            var asJson = parse.GetValue(json);
            var missing = new List<FieldError>();
            if (string.IsNullOrWhiteSpace(fields.Domain)) missing.Add(new("domain", "is required (--domain or HEURISTIC_DOMAIN)"));
            if (string.IsNullOrWhiteSpace(fields.Rule)) missing.Add(new("rule", "is required (--rule or HEURISTIC_RULE)"));
            if (missing.Count > 0) return ClientRunner.Reject("record-heuristic", missing, asJson);

            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var request = new WireRequest
            {
                Command = WireProtocol.Commands.RecordHeuristic,
                RequestId = parse.GetValue(requestId) ?? Guid.NewGuid().ToString("N"),
                Heuristic = fields,
                TimeoutSeconds = wait.TotalSeconds,
            };
            var response = await ClientRunner.SendAsync("record-heuristic", ClientRunner.Paths(parse, basePath), request, wait, startHost: true);
            if (response is null) return ExitCodes.HostUnreachable;
            if (asJson) ClientRunner.PrintJson(response);
            if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail("record-heuristic", response);
            if (!asJson && response.Record is { } record)
            {
                // ELF's own lines.
                if (record.Duplicate) Console.WriteLine($"Already recorded (request id {record.RequestId})");
                Console.WriteLine($"Database record created (ID: {record.Id})");
                Console.WriteLine($"Appended to: {record.Path}");
                Console.WriteLine("Heuristic recorded successfully!");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
