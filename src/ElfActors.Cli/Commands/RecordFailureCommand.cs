using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class RecordFailureCommand
{
    public const string Verb = "record-failure";

    /// <summary>The command line of one record-failure, however it was read.</summary>
    internal sealed record Arguments(string? Title, string? Domain, string? Severity, string? Tags, string? Summary,
        string? RowSummary, string? RequestId, bool WaitCommit, bool Json, string? BasePath, int TimeoutSeconds);

    private static readonly string[] ValueOptions = ["--title", "--domain", "--severity", "--tags", "--summary", "--row-summary", "--request-id", "--base", "--timeout"];
    private static readonly string[] Flags = ["--wait-commit", "--json"];

    /// <summary>
    /// The plain command lines that hooks and agents send (see <see cref="FastArguments"/>), read without building
    /// System.CommandLine's parser; null for anything else, which <see cref="Create"/>'s command reads.
    /// </summary>
    public static Arguments? TryReadFast(string[] args)
    {
        if (FastArguments.TryParse(args, Verb, ValueOptions, Flags) is not { } options) return null;
        if (FastArguments.Int(options, "--timeout", RecordCommand.DefaultTimeoutSeconds, ClientRunner.MinTimeoutSeconds, ClientRunner.MaxTimeoutSeconds) is not { } timeout) return null;
        string? Value(string name) => options.GetValueOrDefault(name);
        return new Arguments(Value("--title"), Value("--domain"), Value("--severity"), Value("--tags"), Value("--summary"), Value("--row-summary"),
            Value("--request-id"), options.ContainsKey("--wait-commit"), options.ContainsKey("--json"), Value("--base"), timeout);
    }

    private static readonly RecordCommandShape Shape = new(
        Verb,
        WireProtocol.Commands.RecordFailure,
        """
        Record a failure in the memory: its row in memory/index.db, its file memory/failures/YYYYMMDD_<slug>.md,
        then a git commit (batched with others). Takes ELF's flags and environment variables, starts a host
        when none runs, and answers once the record is durable.
        Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
        """,
        [
            new("title", "FAILURE_TITLE", "What failed, in one line (at most 500 characters).", Required: true),
            new("domain", "FAILURE_DOMAIN", "Area it belongs to, e.g. git, testing (at most 100 characters).", Required: true),
            new("severity", "FAILURE_SEVERITY", "1-5, or low (2), medium (3), high (4), critical (5). Default 3."),
            new("tags", "FAILURE_TAGS", "Comma-separated tags."),
            new("summary", "FAILURE_SUMMARY", "What happened; may span lines (at most 50,000 characters)."),
            new("row-summary", null, "What the learnings row keeps as its summary, where not the summary's first line (ELF's record-failure.sh keeps `echo -e` of its first line; the shims pass it)."),
        ],
        v => new WireRequest { Failure = new FailureFields(v[0], v[1], v[2], v[3], v[4], v[5]) },
        (record, _) =>
        {
            // ELF's own success lines, which ELF's hooks and agents look for.
            if (record.Duplicate) Console.WriteLine($"Already recorded (request id {record.RequestId}): {record.Path}");
            else Console.WriteLine($"Created: {record.Path}");
            Console.WriteLine($"Database record created (ID: {record.Id})");
            if (record.Commit is { } commit) Console.WriteLine($"Committed: {commit}");
            Console.WriteLine("Failure recorded successfully!");
        },
        TimeoutCovers: "the record (and, with --wait-commit, its commit)");

    public static Task<int> RunAsync(Arguments arguments) =>
        RecordCommand.RunAsync(Shape, [arguments.Title, arguments.Domain, arguments.Severity, arguments.Tags, arguments.Summary, arguments.RowSummary],
            new RecordCall(arguments.RequestId, arguments.Json, arguments.BasePath, arguments.TimeoutSeconds),
            request => request with { WaitCommit = arguments.WaitCommit });

    public static Command Create()
    {
        var waitCommit = new Option<bool>("--wait-commit") { Description = "Return only once the record is in a git commit (prints its id)." };
        return RecordCommand.Create(Shape, [waitCommit], (parse, request) => request with { WaitCommit = parse.GetValue(waitCommit) });
    }
}
