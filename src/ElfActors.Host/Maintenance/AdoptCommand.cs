using System.CommandLine;
using ElfActors.Core.Import;

namespace ElfActors.Host.Maintenance;

/// <summary>`elf adopt [--undo]`: a live ELF install made an ElfActors memory, and back (docs/elf-compatibility.md).</summary>
public static class AdoptCommand
{
    public static Command Create()
    {
        var basePath = new Option<string?>("--base") { Description = "The ELF install's base folder (default: $ELF_BASE_PATH, else ~/.claude/emergent-learning)." };
        var undo = new Option<bool>("--undo") { Description = "Put the install back as adopt found it, byte for byte (the adopted index.db is kept aside if it changed)." };
        var command = new Command("adopt", """
            Turn a live ELF install (as ELF's install.sh lays it out) into an ElfActors memory: a git repository where
            there is none (the live index.db and ELF's runtime files excluded), a first commit of the memory as it is, and
            the shims in place of ELF's record-failure.sh, record-heuristic.sh and record-decision.sh (the originals kept as
            *.elf-original, `elf` beside them). ELF's hooks, query.py and dashboard keep working. Refuses while a host
            serves the memory. Exit codes: 0 done; 2 not an ELF install, or already (not) adopted; 1 other failure.
            """)
        {
            basePath, undo,
        };
        command.SetAction(async parse =>
        {
            var memory = MemoryPaths.Resolve(parse.GetValue(basePath));
            var undoing = parse.GetValue(undo);
            var stateDirectoryExisted = Directory.Exists(memory.StateDirectory); // before the host lock makes it
            var exit = await MaintenanceRun.UnderHostLockAsync("adopt", memory, _ =>
            {
                var summary = undoing
                    ? ElfAdopter.Undo(memory, TimeProvider.System)
                    : ElfAdopter.Adopt(memory, Path.Combine(AppContext.BaseDirectory, "elf-shims"), Path.Combine(AppContext.BaseDirectory, "elf"), stateDirectoryExisted);
                Console.WriteLine(undoing ? $"Restored the ELF install at {memory.BasePath}:" : $"Adopted the ELF install at {memory.BasePath}:");
                foreach (var action in summary.Actions) Console.WriteLine("  " + action);
                return ExitCodes.Success;
            });
            // A refused adopt leaves the install as it found it: no state folder that only the host lock made.
            if (exit != ExitCodes.Success && !stateDirectoryExisted && Directory.Exists(memory.StateDirectory)
                && Directory.EnumerateFileSystemEntries(memory.StateDirectory).All(e => Path.GetFileName(e) is "host.lock" or "start.lock"))
                Directory.Delete(memory.StateDirectory, recursive: true);
            return exit;
        });
        return command;
    }
}
