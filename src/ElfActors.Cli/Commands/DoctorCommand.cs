using System.CommandLine;

namespace ElfActors.Cli.Commands;

/// <summary>`elf doctor`: run in elf-host, which reads the database and the repository (ElfActors.Host.Doctor).</summary>
internal static class DoctorCommand
{
    public static Command Create() => HandOverCommands.HandOver("doctor", """
        Check the install and the memory, read-only, a line per check (ok, info, warn, fail) with its fix: elf and elf-host,
        git, the runtime folder, the host and its release, the repository (format, HEAD, filters, sparse, locks), the
        database (quick_check) and ELF's schema, an adopted install's shims, disk space.
        Usage: elf doctor [--base DIR] [--json]. Exit 0 when nothing must be fixed, 1 otherwise.
        """);
}
