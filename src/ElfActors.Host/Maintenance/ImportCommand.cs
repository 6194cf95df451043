using System.CommandLine;
using ElfActors.Contracts.CommandLine;
using System.Text.Json;
using ElfActors.Core.Import;

namespace ElfActors.Host.Maintenance;

/// <summary>`elf import &lt;ELF base folder&gt;`: an existing ELF memory brought into this one, in batched commits.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("folder") { Description = "The ELF base folder to import (the one that holds memory/)." };
        var basePath = new Option<string?>("--base") { Description = "Memory to import into (default: $ELF_BASE_PATH, else ~/.claude/emergent-learning)." };
        var batch = new Option<int?>("--batch-size")
        {
            Description = $"Records per git commit (default {MemoryImporter.DefaultBatchSize}, or as many as keep a large import to "
                + $"{MemoryImporter.MostCommits} commits: each commit writes the tree of every file in memory/failures/).",
        }.InRange(1, 100_000);
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var command = new Command("import", """
            Bring an existing ELF memory into this one: its markdown files (memory/failures, successes, observations,
            experiments, heuristics, decisions) and the rows of its memory/index.db (a row and its file become one
            record; a file without a row is read from its text; a row without its file is rendered from the row).
            Records are stored as live ones are (row + outbox entry + file) and committed in batches, one trailer per
            record. Records already in this memory are skipped, so running it twice adds nothing. Shows a progress bar
            on a terminal. Refuses while a host serves this memory (run `elf stop` first).
            Exit codes: 0 done; 2 bad folder; 1 other failure.
            """)
        {
            source, basePath, batch, json,
        };
        command.SetAction(async parse =>
        {
            var target = MemoryPaths.Resolve(parse.GetValue(basePath));
            var from = new MemoryPaths(parse.GetValue(source)!);
            var asJson = parse.GetValue(json);
            return await MaintenanceRun.UnderHostLockAsync("import", target, settings =>
            {
                var bar = Console.IsErrorRedirected ? null : new ProgressBar(Console.Error, "importing");
                var summary = MemoryImporter.Run(from, target, settings.Index, settings.FsyncFiles, parse.GetValue(batch),
                    TimeProvider.System, bar is null ? null : bar.Report);
                bar?.Done();
                if (asJson) Console.WriteLine(JsonSerializer.Serialize(summary, HostJsonContext.Default.ImportSummary));
                else
                {
                    Console.WriteLine($"Imported {summary.Imported} of {summary.Found} records from {from.BasePath} into {target.BasePath}:");
                    Console.WriteLine($"  learnings {summary.Learnings}, heuristics {summary.Heuristics}, decisions {summary.Decisions}");
                    foreach (var other in summary.Others) Console.WriteLine("  " + other);
                    Console.WriteLine($"  already present (skipped): {summary.AlreadyPresent}");
                    Console.WriteLine($"  git commits: {summary.Commits}");
                    foreach (var note in summary.Notes) Console.WriteLine("  note: " + note);
                }
                return ExitCodes.Success;
            });
        });
        return command;
    }
}
