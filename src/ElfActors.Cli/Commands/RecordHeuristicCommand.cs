using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class RecordHeuristicCommand
{
    private static readonly RecordCommandShape Shape = new(
        "record-heuristic",
        WireProtocol.Commands.RecordHeuristic,
        """
        Record a heuristic: a row in ELF's heuristics table and an entry appended to memory/heuristics/<domain>.md
        (one writer per domain file, so concurrent appends never lose or interleave an entry), then a git commit
        (batched with others). Takes ELF's flags and environment variables; starts a host when none runs.
        Exit codes: 0 recorded; 2 invalid input (nothing written); 3 no host reachable or timed out; 1 other failure.
        """,
        [
            new("domain", "HEURISTIC_DOMAIN", "Domain; names the file memory/heuristics/<domain>.md (lower-cased, [a-z0-9-] kept, as ELF did).", Required: true),
            new("rule", "HEURISTIC_RULE", "The heuristic, in one line (at most 500 characters).", Required: true),
            new("explanation", "HEURISTIC_EXPLANATION", "Why it holds; may span lines (at most 5,000 characters)."),
            new("source", "HEURISTIC_SOURCE", "Where it comes from: failure, success, observation … (default observation)."),
            new("confidence", "HEURISTIC_CONFIDENCE", "0.0-1.0, or low (0.3), medium (0.6), high (0.85). Default 0.5."),
        ],
        v => new WireRequest { Heuristic = new HeuristicFields(v[0], v[1], v[2], v[3], v[4]) },
        (record, _) =>
        {
            // ELF's own lines.
            if (record.Duplicate) Console.WriteLine($"Already recorded (request id {record.RequestId})");
            Console.WriteLine($"Database record created (ID: {record.Id})");
            Console.WriteLine($"Appended to: {record.Path}");
            Console.WriteLine("Heuristic recorded successfully!");
        });

    public static Command Create() => RecordCommand.Create(Shape);
}
