using System.CommandLine;
using System.Globalization;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class SyncCommand
{
    public static Command Create()
    {
        var now = new Option<bool>("--now")
        {
            Description = "Commit everything acknowledged, then run a whole round (fetch, integrate, push) and wait for it: exit 0 in sync, 1 when the round failed (offline, a conflict to settle, sync off).",
        };
        var timeout = ClientRunner.TimeoutOption(120, "the round");
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var command = new Command("sync", """
            Sync the memory through its branch's git upstream (docs/sync.md): fetch, integrate what other machines
            pushed, push what this one committed. Without --now it asks the host for a round and returns at once.
            Starts a host when none runs.
            """)
        {
            now, timeout, json, basePath,
        };
        command.SetAction(async parse =>
        {
            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var response = await ClientRunner.SendAsync("sync", ClientRunner.Paths(parse, basePath),
                new WireRequest { Command = WireProtocol.Commands.Sync, WaitCommit = parse.GetValue(now), TimeoutSeconds = wait.TotalSeconds },
                wait * 2, startHost: true);
            if (response is null) return ExitCodes.HostUnreachable;
            if (parse.GetValue(json))
            {
                ClientRunner.PrintJson(response);
                return ExitCodes.For(response.Status);
            }
            if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail("sync", response);
            Console.WriteLine(response.Message);
            if (response.Sync is { } sync) Console.WriteLine(Describe(sync));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One line for `elf sync` and `elf status`: upstream, ahead/behind, last sync.</summary>
    public static string Describe(SyncStatus sync)
    {
        var last = sync.LastSyncAt is { } at ? at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "never";
        return sync.Upstream is null
            ? sync.State
            : $"{sync.State}; {sync.Upstream}: {sync.Ahead} ahead, {sync.Behind} behind; last sync {last}";
    }
}
