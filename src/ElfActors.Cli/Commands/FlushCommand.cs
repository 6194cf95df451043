using System.CommandLine;
using System.Globalization;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class FlushCommand
{
    public static Command Create()
    {
        var timeout = ClientRunner.TimeoutOption(60, "every record to be committed");
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var command = new Command("flush", """
            Wait until every acknowledged record is in a git commit. Starts a host when none runs, so after a
            crash this also commits what the crash left in the outbox. Exit 0 when all is committed, 3 on timeout.
            """)
        {
            timeout, json, basePath,
        };
        command.SetAction(async parse =>
        {
            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var response = await ClientRunner.SendAsync("flush", ClientRunner.Paths(parse, basePath),
                new WireRequest { Command = WireProtocol.Commands.Flush, TimeoutSeconds = wait.TotalSeconds }, wait, startHost: true);
            if (response is null) return ExitCodes.HostUnreachable;
            if (parse.GetValue(json)) ClientRunner.PrintJson(response);
            if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail("flush", response);
            if (!parse.GetValue(json) && response.Flush is { } flush)
                Console.WriteLine($"All acknowledged records are committed ({flush.Committed} in all; waited {flush.Seconds.ToString("0.###", CultureInfo.InvariantCulture)} s).");
            return ExitCodes.Success;
        });
        return command;
    }
}
