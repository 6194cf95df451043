using System.CommandLine;
using ElfActors.Cli;
using ElfActors.Cli.Commands;
using ElfActors.Contracts.CommandLine;

// A plain record, as hooks and agents send it, skips building the parser below and System.Console's terminal set-up
// (docs/adr/0022).
if (RecordFailureCommand.TryReadFast(args) is { } record)
{
    PlainConsole.Use();
    return await RecordFailureCommand.RunAsync(record);
}

var root = new RootCommand("""
    elf: lossless, concurrent recording for an Emergent Learning Framework (ELF) memory.
    Records go to memory/index.db, memory/failures/*.md and git through one host per memory, which
    serializes and batches the git commits. Commands that record start that host when none runs.
    The memory's base folder is --base, else $ELF_BASE_PATH, else ~/.claude/emergent-learning.
    Exit codes: 0 success; 2 invalid input (nothing written); 3 host unreachable or timed out; 1 other failure.
    """);
root.Subcommands.Add(RecordFailureCommand.Create());
root.Subcommands.Add(RecordHeuristicCommand.Create());
root.Subcommands.Add(RecordDecisionCommand.Create());
root.Subcommands.Add(RecordLearningCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(FlushCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(SyncCommand.Create());
root.Subcommands.Add(StopCommand.Create());
root.Subcommands.Add(LogsCommand.Create());
root.Subcommands.Add(HandOverCommands.Serve());
root.Subcommands.Add(HandOverCommands.Simulate());
root.Subcommands.Add(HandOverCommands.Import());
root.Subcommands.Add(HandOverCommands.Reindex());
root.Subcommands.Add(HandOverCommands.Adopt());
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(ServiceCommand.Create());
if (HandOverCommands.HelpInHost(args) is { } helpExit) return helpExit;
return await CliRunner.InvokeAsync(root, args);
