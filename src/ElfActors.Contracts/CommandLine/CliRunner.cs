using System.CommandLine;

namespace ElfActors.Contracts.CommandLine;

public static class CliRunner
{
    /// <summary>Parses and runs; a usage error is invalid input (exit 2) with the parser's message on stderr.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parse.Errors) await Console.Error.WriteLineAsync("elf: " + error.Message);
            await Console.Error.WriteLineAsync("Run 'elf --help' (or 'elf <command> --help') for usage.");
            return ExitCodes.InvalidInput;
        }
        // System.CommandLine would answer SIGTERM by cancelling the action and, 2 s later, exiting with 143.
        // A host must finish its own graceful drain (and the client its request), so it is switched off.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
