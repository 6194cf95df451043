using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

/// <summary><c>elf record --type success|observation|experiment|failure</c>: any of ELF's learnings types.</summary>
internal static class RecordLearningCommand
{
    private static readonly string[] Types = ["failure", "success", "observation", "experiment"];

    private static readonly RecordCommandShape Shape = new(
        "record",
        WireProtocol.Commands.Record,
        """
        Record a learning of any of ELF's types: a learnings row (type success, observation, experiment or failure)
        and its file memory/<type>s/YYYYMMDD_<slug>.md (memory/successes/ for successes), then a git commit
        (batched with others). Starts a host when none runs.
        Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
        """,
        [
            new("title", "LEARNING_TITLE", "What was learned, in one line (at most 500 characters).", Required: true),
            new("domain", "LEARNING_DOMAIN", "Area it belongs to (at most 100 characters).", Required: true),
            new("severity", "LEARNING_SEVERITY", "1-5 or low, medium, high, critical (default 3; ELF's column)."),
            new("tags", "LEARNING_TAGS", "Comma-separated tags."),
            new("summary", "LEARNING_SUMMARY", "What happened; may span lines (at most 50,000 characters)."),
            new("row-summary", null, "What the learnings row keeps as its summary, where not the summary's first line (ELF's record-failure.sh keeps `echo -e` of its first line; the shims pass it)."),
        ],
        v => new WireRequest { Failure = new FailureFields(v[0], v[1], v[2], v[3], v[4], v[5]) },
        (record, request) =>
        {
            var kind = request.LearningType!;
            if (record.Duplicate) Console.WriteLine($"Already recorded (request id {record.RequestId}): {record.Path}");
            else Console.WriteLine($"Created: {record.Path}");
            Console.WriteLine($"Database record created (ID: {record.Id})");
            Console.WriteLine($"{char.ToUpperInvariant(kind[0])}{kind[1..]} recorded successfully!");
        });

    public static Command Create()
    {
        var type = new Option<string>("--type")
        {
            Description = "The learnings type: success, observation, experiment (or failure, as record-failure).",
            Required = true,
        };
        type.AcceptOnlyFromAmong(Types);
        return RecordCommand.Create(Shape, [type], (parse, request) => request with { LearningType = parse.GetValue(type) });
    }
}
