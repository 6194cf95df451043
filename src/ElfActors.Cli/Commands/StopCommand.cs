using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class StopCommand
{
    public static Command Create()
    {
        var timeout = ClientRunner.TimeoutOption(150, "the host to commit everything and exit");
        var basePath = ClientRunner.BaseOption();
        var command = new Command("stop", """
            Stop the host of a memory gracefully: it stops taking requests, commits every acknowledged record and
            exits; this command returns once it has. Never starts a host (exit 0 when none runs).
            """)
        {
            timeout, basePath,
        };
        command.SetAction(async parse =>
        {
            var paths = ClientRunner.Paths(parse, basePath);
            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var running = HostConnector.HostHoldingLock(paths);
            var response = await ClientRunner.SendAsync("stop", paths, new WireRequest { Command = WireProtocol.Commands.Stop }, TimeSpan.FromSeconds(30), startHost: false);
            if (response is null)
            {
                // A live host whose socket cannot be reached (removed, or taken by something else) is found
                // through its lock and pid record, and stopped with SIGTERM: the same graceful stop.
                if ((running ?? HostConnector.HostHoldingLock(paths)) is not { } pid)
                {
                    Console.WriteLine($"not running (no host serves {paths.BasePath})");
                    return ExitCodes.Success;
                }
                if (!HostProcess.Terminate(pid))
                {
                    await Console.Error.WriteLineAsync($"elf stop: cannot signal the host of {paths.BasePath} (pid {pid})");
                    return ExitCodes.Failure;
                }
                await Console.Error.WriteLineAsync($"elf stop: the host (pid {pid}) did not answer on its socket; sent it SIGTERM");
            }
            else if (response.Status != WireProtocol.Statuses.Ok) return ClientRunner.Fail("stop", response);

            // The host releases its lock as it exits: wait for that, and for the process to be gone, not just for
            // the socket to close.
            if (await HostConnector.WaitUntilGoneAsync(paths, wait, running))
            {
                Console.WriteLine($"stopped the host for {paths.BasePath}");
                return ExitCodes.Success;
            }
            await Console.Error.WriteLineAsync($"elf stop: the host for {paths.BasePath} is still running after {wait.TotalSeconds:0.#}s (still committing? see elf status)");
            return ExitCodes.HostUnreachable;
        });
        return command;
    }
}
