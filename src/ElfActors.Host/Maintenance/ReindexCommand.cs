using System.CommandLine;
using System.Text.Json;
using ElfActors.Core.Import;

namespace ElfActors.Host.Maintenance;

/// <summary>`elf reindex`: memory/index.db rebuilt from the markdown files (and git history for learnings ids).</summary>
public static class ReindexCommand
{
    public static Command Create()
    {
        var basePath = new Option<string?>("--base") { Description = "Memory to reindex (default: $ELF_BASE_PATH, else ~/.claude/emergent-learning)." };
        var force = new Option<bool>("--force") { Description = "Rebuild even though memory/index.db exists: the current one is kept as memory/index.db-before-reindex-<time>." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var command = new Command("reindex", """
            Rebuild memory/index.db from the memory's markdown files, so the live database never needs to be in git.
            Heuristics and decisions keep the ids their files carry (H-<id>, ADR-<id>); learnings get the id their
            commit's Elf-Record trailer gave them and that commit's time as created_at. ELF's counters that no file
            carries (times_validated, is_golden …) start at their defaults. Refuses while a host serves the memory.
            Exit codes: 0 rebuilt; 2 index.db exists without --force; 1 other failure.
            """)
        {
            basePath, force, json,
        };
        command.SetAction(async parse =>
        {
            var memory = MemoryPaths.Resolve(parse.GetValue(basePath));
            var asJson = parse.GetValue(json);
            return await MaintenanceRun.UnderHostLockAsync("reindex", memory, settings =>
            {
                var summary = Reindexer.Run(memory, settings.Index, parse.GetValue(force), TimeProvider.System);
                if (asJson) Console.WriteLine(JsonSerializer.Serialize(summary, HostJsonContext.Default.ReindexSummary));
                else
                {
                    Console.WriteLine($"Rebuilt {memory.DatabasePath}:");
                    Console.WriteLine($"  learnings {summary.Learnings} ({summary.LearningIdsFromHistory} with their ids from git history), heuristics {summary.Heuristics}, decisions {summary.Decisions}");
                    if (summary.MovedAside is { } aside) Console.WriteLine($"  the previous index is kept as {aside}");
                    foreach (var note in summary.Notes) Console.WriteLine("  note: " + note);
                }
                return ExitCodes.Success;
            });
        });
        return command;
    }
}
