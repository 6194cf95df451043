using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class RecordFailureCommand
{
    public const string Verb = "record-failure";
    private const int DefaultTimeoutSeconds = 60;

    /// <summary>The command line of one record-failure, however it was read.</summary>
    internal sealed record Arguments(string? Title, string? Domain, string? Severity, string? Tags, string? Summary,
        string? RequestId, bool WaitCommit, bool Json, string? BasePath, int TimeoutSeconds);

    private static readonly string[] ValueOptions = ["--title", "--domain", "--severity", "--tags", "--summary", "--request-id", "--base", "--timeout"];
    private static readonly string[] Flags = ["--wait-commit", "--json"];

    /// <summary>
    /// The plain command lines that hooks and agents send (see <see cref="FastArguments"/>), read without building
    /// System.CommandLine's parser; null for anything else, which <see cref="Create"/>'s command reads.
    /// </summary>
    public static Arguments? TryReadFast(string[] args)
    {
        if (FastArguments.TryParse(args, Verb, ValueOptions, Flags) is not { } options) return null;
        if (FastArguments.Int(options, "--timeout", DefaultTimeoutSeconds, ClientRunner.MinTimeoutSeconds, ClientRunner.MaxTimeoutSeconds) is not { } timeout) return null;
        string? Value(string name) => options.GetValueOrDefault(name);
        return new Arguments(Value("--title"), Value("--domain"), Value("--severity"), Value("--tags"), Value("--summary"),
            Value("--request-id"), options.ContainsKey("--wait-commit"), options.ContainsKey("--json"), Value("--base"), timeout);
    }

    public static async Task<int> RunAsync(Arguments arguments)
    {
        var fields = new FailureFields(
            ClientRunner.Fallback(arguments.Title, "FAILURE_TITLE"),
            ClientRunner.Fallback(arguments.Domain, "FAILURE_DOMAIN"),
            ClientRunner.Fallback(arguments.Severity, "FAILURE_SEVERITY"),
            ClientRunner.Fallback(arguments.Tags, "FAILURE_TAGS"),
            ClientRunner.Fallback(arguments.Summary, "FAILURE_SUMMARY"));
        var asJson = arguments.Json;

        // Checked here so that a missing flag never starts a host; everything else the host validates.
        var missing = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(fields.Title)) missing.Add(new("title", "is required (--title or FAILURE_TITLE)"));
        if (string.IsNullOrWhiteSpace(fields.Domain)) missing.Add(new("domain", "is required (--domain or FAILURE_DOMAIN)"));
        if (missing.Count > 0) return ClientRunner.Reject(Verb, missing, asJson);

        var wait = TimeSpan.FromSeconds(arguments.TimeoutSeconds);
        var request = new WireRequest
        {
            Command = WireProtocol.Commands.RecordFailure,
            RequestId = arguments.RequestId ?? Guid.NewGuid().ToString("N"),
            Failure = fields,
            WaitCommit = arguments.WaitCommit,
            TimeoutSeconds = wait.TotalSeconds,
        };
        var response = await ClientRunner.SendAsync(Verb, MemoryPaths.Resolve(arguments.BasePath), request, wait, startHost: true);
        if (response is null) return ExitCodes.HostUnreachable;
        if (asJson) ClientRunner.PrintJson(response);
        if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail(Verb, response);
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
    }

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
        var timeout = ClientRunner.TimeoutOption(DefaultTimeoutSeconds, "the record (and, with --wait-commit, its commit)");

        var command = new Command(Verb, """
            Record a failure in the memory: its row in memory/index.db, its file memory/failures/YYYYMMDD_<slug>.md,
            then a git commit (batched with others). Takes ELF's flags and environment variables, starts a host
            when none runs, and answers once the record is durable.
            Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
            """)
        {
            title, domain, severity, tags, summary, requestId, waitCommit, json, basePath, timeout,
        };
        command.SetAction(async parse => await RunAsync(new Arguments(
            parse.GetValue(title), parse.GetValue(domain), parse.GetValue(severity), parse.GetValue(tags), parse.GetValue(summary),
            parse.GetValue(requestId), parse.GetValue(waitCommit), parse.GetValue(json), parse.GetValue(basePath), parse.GetValue(timeout))));
        return command;
    }
}
