using System.CommandLine;
using ElfActors.Contracts.CommandLine;
using ElfActors.Host;
using ElfActors.Host.Simulation;

StartTrace.Mark("main");
var root = new RootCommand("""
    elf-host: the ElfActors host. The `elf` client runs it for `elf serve` and `elf simulate`, and starts it
    in the background when a command finds no host for its memory. See `elf --help`.
    """);
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
root.Subcommands.Add(ElfActors.Host.Maintenance.ImportCommand.Create());
root.Subcommands.Add(ElfActors.Host.Maintenance.ReindexCommand.Create());
root.Subcommands.Add(ElfActors.Host.Maintenance.AdoptCommand.Create());
root.Subcommands.Add(ElfActors.Host.Doctor.DoctorCommand.Create());
return await CliRunner.InvokeAsync(root, args);
