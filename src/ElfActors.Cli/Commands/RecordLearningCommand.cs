using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

/// <summary><c>elf record --type success|observation|experiment|failure</c>: any of ELF's learnings types.</summary>
internal static class RecordLearningCommand
{
    private static readonly string[] Types = ["failure", "success", "observation", "experiment"];

    public static Command Create()
    {
        var type = new Option<string>("--type")
        {
            Description = "The learnings type: success, observation, experiment (or failure, as record-failure).",
            Required = true,
        };
        type.AcceptOnlyFromAmong(Types);
        var title = new Option<string?>("--title") { Description = "What was learned, in one line (at most 500 characters). Env: LEARNING_TITLE." };
        var domain = new Option<string?>("--domain") { Description = "Area it belongs to (at most 100 characters). Env: LEARNING_DOMAIN." };
        var severity = new Option<string?>("--severity") { Description = "1-5 or low, medium, high, critical (default 3; ELF's column). Env: LEARNING_SEVERITY." };
        var tags = new Option<string?>("--tags") { Description = "Comma-separated tags. Env: LEARNING_TAGS." };
        var summary = new Option<string?>("--summary") { Description = "What happened; may span lines (at most 50,000 characters). Env: LEARNING_SUMMARY." };
        var requestId = new Option<string?>("--request-id") { Description = "Idempotency key: a retry with the same id returns the first record." };
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var timeout = ClientRunner.TimeoutOption(60, "the record");

        var command = new Command("record", """
            Record a learning of any of ELF's types: a learnings row (type success, observation, experiment or failure)
            and its file memory/<type>s/YYYYMMDD_<slug>.md (memory/successes/ for successes), then a git commit
            (batched with others). Starts a host when none runs.
            Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
            """)
        {
            type, title, domain, severity, tags, summary, requestId, json, basePath, timeout,
        };
        command.SetAction(async parse =>
        {
            var kind = parse.GetValue(type)!;
            var fields = new FailureFields(
                ClientRunner.Fallback(parse.GetValue(title), "LEARNING_TITLE"),
                ClientRunner.Fallback(parse.GetValue(domain), "LEARNING_DOMAIN"),
                ClientRunner.Fallback(parse.GetValue(severity), "LEARNING_SEVERITY"),
                ClientRunner.Fallback(parse.GetValue(tags), "LEARNING_TAGS"),
                ClientRunner.Fallback(parse.GetValue(summary), "LEARNING_SUMMARY"));
            var asJson = parse.GetValue(json);
            var missing = new List<FieldError>();
            if (string.IsNullOrWhiteSpace(fields.Title)) missing.Add(new("title", "is required (--title or LEARNING_TITLE)"));
            if (string.IsNullOrWhiteSpace(fields.Domain)) missing.Add(new("domain", "is required (--domain or LEARNING_DOMAIN)"));
            if (missing.Count > 0) return ClientRunner.Reject("record", missing, asJson);

            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var request = new WireRequest
            {
                Command = WireProtocol.Commands.Record,
                RequestId = parse.GetValue(requestId) ?? Guid.NewGuid().ToString("N"),
                Failure = fields,
                LearningType = kind,
                TimeoutSeconds = wait.TotalSeconds,
            };
            var response = await ClientRunner.SendAsync("record", ClientRunner.Paths(parse, basePath), request, wait, startHost: true);
            if (response is null) return ExitCodes.HostUnreachable;
            if (asJson) ClientRunner.PrintJson(response);
            if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail("record", response);
            if (!asJson && response.Record is { } record)
            {
                if (record.Duplicate) Console.WriteLine($"Already recorded (request id {record.RequestId}): {record.Path}");
                else Console.WriteLine($"Created: {record.Path}");
                Console.WriteLine($"Database record created (ID: {record.Id})");
                Console.WriteLine($"{char.ToUpperInvariant(kind[0])}{kind[1..]} recorded successfully!");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
