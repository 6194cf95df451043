using System.CommandLine;
using ElfActors.Host;

namespace ElfActors.Tests.Host;

/// <summary>
/// `elf-host serve` parses with its own verb only (docs/adr/0057): what it says to bad input and to --help must be what
/// the full command line says.
/// </summary>
public sealed class HostCommandLineTests
{
    public static TheoryData<string[]> BadServeInput => new()
    {
        { ["serve", "--no-such-option"] },
        { ["serve", "stray-argument"] },
        { ["serve", "--base"] },
        { ["serve", "--cluster-port", "not-a-port"] },
        { ["serve", "--idle-exit", "soon"] },
        { ["serve", "--verbose", "maybe"] },
        { ["serve", "--base", "/tmp/a", "simulate"] },
        { ["serve", "--seed-node"] },
    };

    [Theory]
    [MemberData(nameof(BadServeInput))]
    public void Bad_serve_input_gets_the_full_command_lines_errors(string[] args)
    {
        Assert.True(HostCommandLine.IsServe(args));
        var full = HostCommandLine.Full().Parse(args);
        var serveOnly = HostCommandLine.For(args).Parse(args);
        Assert.NotEmpty(full.Errors);
        Assert.Equal(full.Errors.Select(e => e.Message), serveOnly.Errors.Select(e => e.Message));
        Assert.Equal(full.CommandResult.Command.Name, serveOnly.CommandResult.Command.Name);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    public void Serve_help_is_the_full_command_lines(string help)
    {
        string[] args = ["serve", help];
        var (fullExit, fullText) = Invoke(HostCommandLine.Full(), args);
        var (serveExit, serveText) = Invoke(HostCommandLine.For(args), args);
        Assert.Contains("--auto-started", fullText);
        Assert.Equal(fullText, serveText);
        Assert.Equal(fullExit, serveExit);
    }

    [Theory]
    [InlineData("simulate")]
    [InlineData("doctor")]
    [InlineData("--help")]
    [InlineData("[diagram]")]
    public void Other_first_tokens_get_every_verb(string first)
    {
        Assert.False(HostCommandLine.IsServe([first, "serve"]));
        Assert.Equal(HostCommandLine.Full().Subcommands.Select(c => c.Name), HostCommandLine.For([first, "serve"]).Subcommands.Select(c => c.Name));
    }

    private static (int Exit, string Text) Invoke(RootCommand root, string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (exit, output + "\n--\n" + error);
    }
}
