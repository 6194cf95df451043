using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class RecordDecisionCommand
{
    private static readonly RecordCommandShape Shape = new(
        "record-decision",
        WireProtocol.Commands.RecordDecision,
        """
        Record an architecture decision (ADR): a row in ELF's decisions table and memory/decisions/YYYY-MM-DD-<slug>.md
        headed "# ADR-<id>: <title>", then a git commit (batched with others). Takes ELF's flags and environment
        variables; --title, --context, --decision and --rationale are required.
        Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
        """,
        [
            new("title", "DECISION_TITLE", "The decision's title (at most 200 characters).", Required: true),
            new("context", "DECISION_CONTEXT", "Why a decision was needed.", Required: true),
            new("options", "DECISION_OPTIONS", "Options considered."),
            new("decision", "DECISION_DECISION", "What was chosen.", Required: true),
            new("rationale", "DECISION_RATIONALE", "Why it was chosen.", Required: true),
            new("domain", "DECISION_DOMAIN", "Domain (default general)."),
            new("files", "DECISION_FILES", "Files touched, comma-separated."),
            new("tests", "DECISION_TESTS", "Tests added, comma-separated."),
        ],
        v => new WireRequest { Decision = new DecisionFields(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) },
        (record, request) =>
        {
            Console.WriteLine($"Database record created (ID: {record.Id})");
            Console.WriteLine($"Created decision file: {record.Path}");
            Console.WriteLine();
            Console.WriteLine("Decision recorded successfully!");
            Console.WriteLine($"ADR-{record.Id}: {request.Decision?.Title?.Trim()}");
            Console.WriteLine($"File: {record.Path}");
        });

    public static Command Create() => RecordCommand.Create(Shape);
}
