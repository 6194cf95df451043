using System.CommandLine;
using ElfActors.Host.Simulation;

namespace ElfActors.Host;

/// <summary>elf-host's verbs, parsed by System.CommandLine.</summary>
public static class HostCommandLine
{
    private const string Description = """
        elf-host: the ElfActors host. The `elf` client runs it for `elf serve` and `elf simulate`, and starts it
        in the background when a command finds no host for its memory. See `elf --help`.
        """;

    /// <summary>
    /// The parser for <paramref name="args"/>: <see cref="ServeOnly"/> when they run `serve` (every auto-started host, on
    /// the cold start's path: docs/adr/0057), else <see cref="Full"/>. Both give `serve` the same options, errors, help
    /// and exit codes; the first does not build the other verbs' options first.
    /// </summary>
    public static RootCommand For(string[] args) => IsServe(args) ? ServeOnly() : Full();

    /// <summary>Whether <paramref name="args"/> run `serve`: its name is the first token (what the parser takes as the verb).</summary>
    public static bool IsServe(string[] args) => args is ["serve", ..];

    public static RootCommand Full()
    {
        var root = ServeOnly();
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(Maintenance.ImportCommand.Create());
        root.Subcommands.Add(Maintenance.ReindexCommand.Create());
        root.Subcommands.Add(Maintenance.AdoptCommand.Create());
        root.Subcommands.Add(Doctor.DoctorCommand.Create());
        return root;
    }

    public static RootCommand ServeOnly()
    {
        var root = new RootCommand(Description);
        root.Subcommands.Add(ServeCommand.Create());
        return root;
    }
}
