using System.CommandLine;
using System.Text.Json;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Host.Simulation;

public static class SimulateCommand
{
    public static Command Create()
    {
        var writers = new Option<int>("--writers", "-n")
        {
            Description = "How many records to write at once, each through its own recorder actor.",
            Required = true,
        }.InRange(1, 1_000_000);
        var basePath = new Option<string?>("--base")
        {
            Description = "Memory base folder to write into (created if absent). Default: a fresh temporary folder, kept afterwards for inspection.",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of the table." };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for every record to be acknowledged and committed.",
            DefaultValueFactory = _ => 600,
        }.InRange(1, 86_400);

        var rate = new Option<double>("--rate")
        {
            Description = "Send the writers at this many records per second (open loop) instead of all at once.",
            DefaultValueFactory = _ => 0,
        };

        var warmUp = new Option<int>("--warm-up")
        {
            Description = "Records to send (at the same rate) and commit before the measured ones, so that the figures are of a running host rather than one starting. They stay in the memory; the figures leave them out.",
            DefaultValueFactory = _ => 0,
        }.InRange(0, 1_000_000);

        var settleJit = new Option<bool>("--settle-jit")
        {
            Description = "After the warm-up, go on warming in rounds of 250 records (each committed, then a 300 ms pause) until three rounds in a row leave the tier-up JIT nothing to compile (at most 20): the figures are then of a host in its steady state. The report says how many rounds and how much JIT the measured run still had.",
        };

        var stageTimeline = new Option<string?>("--stage-timeline")
        {
            Description = "Write every committer stage time and batch size of the measured records to this CSV file (ms since they began, stage, value): where the time went over the run, not only in sum.",
        };

        var command = new Command("simulate", """
            Run the seed note's scenario in one process: N concurrent recorders write failures into a memory,
            wait until every record is committed, then measure the result by reading the database, the folder
            and git history directly. Exits 0 when every record was acknowledged and is consistent.
            """)
        {
            writers, basePath, json, timeout, rate, warmUp, settleJit, stageTimeline,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var paths = parse.GetValue(basePath) is { Length: > 0 } given
                ? new MemoryPaths(given)
                : new MemoryPaths(Path.Combine(Path.GetTempPath(), "elf-simulate-" + DateTime.Now.ToString("yyyyMMdd-HHmmss") + "-" + Guid.NewGuid().ToString("N")[..6]));
            if (paths.RefusalReason() is { } refusal)
            {
                await Console.Error.WriteLineAsync("elf simulate: " + refusal);
                return ExitCodes.Failure;
            }
            var asJson = parse.GetValue(json);
            var progress = asJson || Console.IsErrorRedirected ? null : Console.Error;
            // stdout holds the report and nothing else: whatever else writes to it during the run (Akka's
            // StandardOutLogger prints its warnings there, e.g. under load) goes to stderr with the logs.
            var stdout = Console.Out;
            Console.SetOut(Console.Error);
            SimulationReport report;
            try
            {
                report = await Simulator.RunAsync(paths, parse.GetValue(writers), TimeSpan.FromSeconds(parse.GetValue(timeout)), progress, cancellation,
                    parse.GetValue(rate), parse.GetValue(warmUp), parse.GetValue(stageTimeline), parse.GetValue(settleJit));
            }
            finally
            {
                Console.SetOut(stdout);
            }
            if (asJson) stdout.WriteLine(JsonSerializer.Serialize(report, HostJsonContext.Default.SimulationReport));
            else stdout.Write(SimulationTable.Render(report));
            return report.Consistent ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }
}
