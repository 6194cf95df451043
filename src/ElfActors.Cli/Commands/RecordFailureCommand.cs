using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class RecordFailureCommand
{
    public static Command Create()
    {
        var title = new Option<string?>("--title") { Description = "What failed, in one line (at most 500 characters). Env: FAILURE_TITLE." };
        var domain = new Option<string?>("--domain") { Description = "Area it belongs to, e.g. git, testing (at most 100 characters). Env: FAILURE_DOMAIN." };
        var severity = new Option<string?>("--severity") { Description = "1-5, or low (2), medium (3), high (4), critical (5). Default 3. Env: FAILURE_SEVERITY." };
        var tags = new Option<string?>("--tags") { Description = "Comma-separated tags. Env: FAILURE_TAGS." };
        var summary = new Option<string?>("--summary") { Description = "What happened; may span lines (at most 50,000 characters). Env: FAILURE_SUMMARY." };
        var requestId = new Option<string?>("--request-id")
        {
            Description = "Idempotency key: retrying with the same id returns the first record instead of a second one. Default: a new id.",
        };
        var waitCommit = new Option<bool>("--wait-commit") { Description = "Return only once the record is in a git commit (prints its id)." };
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var timeout = ClientRunner.TimeoutOption(60, "the record (and, with --wait-commit, its commit)");

        var command = new Command("record-failure", """
            Record a failure in the memory: its row in memory/index.db, its file memory/failures/YYYYMMDD_<slug>.md,
            then a git commit (batched with others). Takes ELF's flags and environment variables, starts a host
            when none runs, and answers once the record is durable.
            Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
            """)
        {
            title, domain, severity, tags, summary, requestId, waitCommit, json, basePath, timeout,
        };
        command.SetAction(async parse =>
        {
            static string? Fallback(string? value, string variable) => value ?? Environment.GetEnvironmentVariable(variable);
            var fields = new FailureFields(
                Fallback(parse.GetValue(title), "FAILURE_TITLE"),
                Fallback(parse.GetValue(domain), "FAILURE_DOMAIN"),
                Fallback(parse.GetValue(severity), "FAILURE_SEVERITY"),
                Fallback(parse.GetValue(tags), "FAILURE_TAGS"),
                Fallback(parse.GetValue(summary), "FAILURE_SUMMARY"));
            var asJson = parse.GetValue(json);

            // Checked here so that a missing flag never starts a host; everything else the host validates.
            var missing = new List<FieldError>();
            if (string.IsNullOrWhiteSpace(fields.Title)) missing.Add(new("title", "is required (--title or FAILURE_TITLE)"));
            if (string.IsNullOrWhiteSpace(fields.Domain)) missing.Add(new("domain", "is required (--domain or FAILURE_DOMAIN)"));
            if (missing.Count > 0)
            {
                var rejected = new WireResponse { Status = WireProtocol.Statuses.Rejected, Errors = missing, Message = "invalid input" };
                if (asJson) ClientRunner.PrintJson(rejected);
                return ClientRunner.Fail("record-failure", rejected);
            }

            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var request = new WireRequest
            {
                Command = WireProtocol.Commands.RecordFailure,
                RequestId = parse.GetValue(requestId) ?? Guid.NewGuid().ToString("N"),
                Failure = fields,
                WaitCommit = parse.GetValue(waitCommit),
                TimeoutSeconds = wait.TotalSeconds,
            };
            var response = await ClientRunner.SendAsync("record-failure", ClientRunner.Paths(parse, basePath), request, wait, startHost: true);
            if (response is null) return ExitCodes.HostUnreachable;
            if (asJson) ClientRunner.PrintJson(response);
            if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail("record-failure", response);
            if (!asJson && response.Record is { } record)
            {
                // ELF's own success lines, which ELF's hooks and agents look for.
                if (record.Duplicate) Console.WriteLine($"Already recorded (request id {record.RequestId}): {record.Path}");
                else Console.WriteLine($"Created: {record.Path}");
                Console.WriteLine($"Database record created (ID: {record.Id})");
                if (record.Commit is { } commit) Console.WriteLine($"Committed: {commit}");
                Console.WriteLine("Failure recorded successfully!");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
