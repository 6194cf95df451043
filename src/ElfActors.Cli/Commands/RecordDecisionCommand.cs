using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class RecordDecisionCommand
{
    public static Command Create()
    {
        var title = new Option<string?>("--title") { Description = "The decision's title (at most 200 characters). Env: DECISION_TITLE." };
        var context = new Option<string?>("--context") { Description = "Why a decision was needed. Env: DECISION_CONTEXT." };
        var options = new Option<string?>("--options") { Description = "Options considered. Env: DECISION_OPTIONS." };
        var decision = new Option<string?>("--decision") { Description = "What was chosen. Env: DECISION_DECISION." };
        var rationale = new Option<string?>("--rationale") { Description = "Why it was chosen. Env: DECISION_RATIONALE." };
        var domain = new Option<string?>("--domain") { Description = "Domain (default general). Env: DECISION_DOMAIN." };
        var files = new Option<string?>("--files") { Description = "Files touched, comma-separated. Env: DECISION_FILES." };
        var tests = new Option<string?>("--tests") { Description = "Tests added, comma-separated. Env: DECISION_TESTS." };
        var requestId = new Option<string?>("--request-id") { Description = "Idempotency key: a retry with the same id returns the first record." };
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var timeout = ClientRunner.TimeoutOption(60, "the record");

        var command = new Command("record-decision", """
            Record an architecture decision (ADR): a row in ELF's decisions table and memory/decisions/YYYY-MM-DD-<slug>.md
            headed "# ADR-<id>: <title>", then a git commit (batched with others). Takes ELF's flags and environment
            variables; --title, --context, --decision and --rationale are required.
            Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
            """)
        {
            title, context, options, decision, rationale, domain, files, tests, requestId, json, basePath, timeout,
        };
        command.SetAction(async parse =>
        {
            var fields = new DecisionFields(
                ClientRunner.Fallback(parse.GetValue(title), "DECISION_TITLE"),
                ClientRunner.Fallback(parse.GetValue(context), "DECISION_CONTEXT"),
                ClientRunner.Fallback(parse.GetValue(options), "DECISION_OPTIONS"),
                ClientRunner.Fallback(parse.GetValue(decision), "DECISION_DECISION"),
                ClientRunner.Fallback(parse.GetValue(rationale), "DECISION_RATIONALE"),
                ClientRunner.Fallback(parse.GetValue(domain), "DECISION_DOMAIN"),
                ClientRunner.Fallback(parse.GetValue(files), "DECISION_FILES"),
                ClientRunner.Fallback(parse.GetValue(tests), "DECISION_TESTS"));
            var asJson = parse.GetValue(json);
            var missing = new List<FieldError>();
            foreach (var (name, value) in new[] { ("title", fields.Title), ("context", fields.Context), ("decision", fields.Decision), ("rationale", fields.Rationale) })
                if (string.IsNullOrWhiteSpace(value)) missing.Add(new(name, $"is required (--{name} or DECISION_{name.ToUpperInvariant()})"));
            if (missing.Count > 0) return ClientRunner.Reject("record-decision", missing, asJson);

            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var request = new WireRequest
            {
                Command = WireProtocol.Commands.RecordDecision,
                RequestId = parse.GetValue(requestId) ?? Guid.NewGuid().ToString("N"),
                Decision = fields,
                TimeoutSeconds = wait.TotalSeconds,
            };
            var response = await ClientRunner.SendAsync("record-decision", ClientRunner.Paths(parse, basePath), request, wait, startHost: true);
            if (response is null) return ExitCodes.HostUnreachable;
            if (asJson) ClientRunner.PrintJson(response);
            if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail("record-decision", response);
            if (!asJson && response.Record is { } record)
            {
                Console.WriteLine($"Database record created (ID: {record.Id})");
                Console.WriteLine($"Created decision file: {record.Path}");
                Console.WriteLine();
                Console.WriteLine("Decision recorded successfully!");
                Console.WriteLine($"ADR-{record.Id}: {fields.Title?.Trim()}");
                Console.WriteLine($"File: {record.Path}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
