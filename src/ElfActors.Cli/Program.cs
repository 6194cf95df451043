using System.CommandLine;
using ElfActors.Cli;
using ElfActors.Cli.Simulation;

var root = new RootCommand("""
    elf: lossless, concurrent recording for an Emergent Learning Framework (ELF) memory.
    Records go to memory/index.db, memory/failures/*.md and git, through one Akka.NET coordinator
    that serializes and batches the git commits. The memory's base folder is --base, else
    $ELF_BASE_PATH, else ~/.claude/emergent-learning.
    """);
root.Subcommands.Add(SimulateCommand.Create());
return await CliRunner.InvokeAsync(root, args);
