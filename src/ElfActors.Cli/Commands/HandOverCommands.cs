using System.CommandLine;

namespace ElfActors.Cli.Commands;

/// <summary>Commands that run the actors: this process becomes elf-host, which parses and runs them.</summary>
internal static class HandOverCommands
{
    public static Command Serve() => HandOver("serve", """
        Run the host for a memory in the foreground (--base DIR, --config FILE, --verbose). SIGTERM or Ctrl-C
        stops it gracefully: every acknowledged record is committed first. A second host on the same memory
        exits 1. Run `elf serve --help` for its options.
        """);

    public static Command Simulate() => HandOver("simulate", """
        The seed note's scenario in one process: --writers N concurrent recorders into a memory (a fresh temp
        folder unless --base DIR), then the consistency table measured from the database, the folder and
        git log (--json for one JSON object). Run `elf simulate --help` for its options.
        """);

    private static Command HandOver(string name, string description)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(parse =>
        {
            if (!HostProcess.Exists(out var missing))
            {
                Console.Error.WriteLine("elf: " + missing);
                return ExitCodes.HostUnreachable;
            }
            var tokens = parse.Tokens.Select(t => t.Value).ToList();
            return HostProcess.Exec(tokens);
        });
        return command;
    }
}
