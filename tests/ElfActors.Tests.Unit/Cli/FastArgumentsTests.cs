using System.CommandLine;
using ElfActors.Cli.Commands;

namespace ElfActors.Tests.Cli;

/// <summary>
/// A record-failure read by the fast path is the record System.CommandLine reads from the same command line, and
/// anything the fast path does not read exactly as System.CommandLine would is left to System.CommandLine.
/// </summary>
public sealed class FastArgumentsTests
{
    public static TheoryData<string[]> Plain => new()
    {
        new[] { "record-failure", "--title", "Build broke", "--domain", "ci" },
        new[] { "record-failure", "--title=Build: broke", "--domain:ci", "--severity", "high", "--tags", "a,b", "--summary", "line 1\nline 2" },
        new[] { "record-failure", "--title", "T", "--domain", "ci", "--summary", "a\\nb", "--row-summary", "" },
        new[] { "record-failure", "--domain", "ci", "--json", "--wait-commit", "--timeout", "5", "--base", "/tmp/m", "--request-id", "r-1" },
        new[] { "record-failure", "--title", "", "--domain", "ci", "--timeout=86400" },
        new[] { "record-failure" },
    };

    [Theory]
    [MemberData(nameof(Plain))]
    public void A_plain_command_line_reads_as_System_CommandLine_reads_it(string[] args)
    {
        var fast = RecordFailureCommand.TryReadFast(args);

        Assert.NotNull(fast);
        Assert.Equal(ViaSystemCommandLine(args), fast);
    }

    [Theory]
    [InlineData("record-failure", "--help")]
    [InlineData("record-failure", "-h")]
    [InlineData("record-failure", "--title", "a", "--title", "b")]
    [InlineData("record-failure", "--title")]
    [InlineData("record-failure", "--title", "-x")]
    [InlineData("record-failure", "--title", "@file")]
    [InlineData("record-failure", "@args.rsp")]
    [InlineData("record-failure", "--json", "false")]
    [InlineData("record-failure", "--json=true")]
    [InlineData("record-failure", "--timeout", "0")]
    [InlineData("record-failure", "--timeout", "soon")]
    [InlineData("record-failure", "--bogus", "x")]
    [InlineData("record-failure", "stray")]
    [InlineData("record-failure", "--")]
    [InlineData("record-heuristic", "--rule", "x")]
    [InlineData("--help")]
    public void Anything_else_is_left_to_System_CommandLine(params string[] args) =>
        Assert.Null(RecordFailureCommand.TryReadFast(args));

    private static RecordFailureCommand.Arguments ViaSystemCommandLine(string[] args)
    {
        var parse = new RootCommand { RecordFailureCommand.Create() }.Parse(args);
        Assert.Empty(parse.Errors);
        return new RecordFailureCommand.Arguments(
            parse.GetValue<string?>("--title"), parse.GetValue<string?>("--domain"), parse.GetValue<string?>("--severity"),
            parse.GetValue<string?>("--tags"), parse.GetValue<string?>("--summary"), parse.GetValue<string?>("--row-summary"),
            parse.GetValue<string?>("--request-id"),
            parse.GetValue<bool>("--wait-commit"), parse.GetValue<bool>("--json"), parse.GetValue<string?>("--base"), parse.GetValue<int>("--timeout"));
    }
}
