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

    public static Command Import() => HandOver("import", """
        Bring an existing ELF memory (its markdown files and/or its memory/index.db) into this memory, committed in
        batches, with a progress bar on a terminal and a summary; running it twice adds nothing.
        Usage: elf import <ELF base folder> [--base DIR] [--batch-size N] [--json]. Run `elf import --help` for details.
        Refuses while a host serves the memory (`elf stop` first).
        """);

    public static Command Reindex() => HandOver("reindex", """
        Rebuild memory/index.db from the markdown files (ids from the files and from git history), so the live
        database never needs to be in git. Usage: elf reindex [--base DIR] [--force] [--json].
        Run `elf reindex --help` for details. Refuses while a host serves the memory (`elf stop` first).
        """);

    public static Command Adopt() => HandOver("adopt", """
        Turn a live ELF install into an ElfActors memory (git where absent, a first commit, the shims in place of ELF's
        record scripts, originals kept), or with --undo put it back byte for byte. Usage: elf adopt [--base DIR] [--undo].
        Run `elf adopt --help` for details. Refuses while a host serves the memory (`elf stop` first).
        """);

    private static readonly string[] Names = ["serve", "simulate", "import", "reindex", "adopt"];

    /// <summary>
    /// `elf import --help` and the like: the options live in elf-host, so its help is the useful one. Returns
    /// elf-host's exit code, or null when the arguments are not a hand-over command's help request.
    /// </summary>
    public static int? HelpInHost(string[] args)
    {
        if (args.Length < 2 || !Names.Contains(args[0]) || !args.Skip(1).Any(a => a is "--help" or "-h" or "-?")) return null;
        return HostProcess.Exists(out _) ? HostProcess.Exec(args) : null;
    }

    internal static Command HandOver(string name, string description)
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
