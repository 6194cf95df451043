using System.CommandLine;
using System.Globalization;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class StatusCommand
{
    public static Command Create()
    {
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var command = new Command("status", """
            Show the host of a memory: records waiting for a commit and committed, the last commit, what the
            committer is doing (for example waiting for a lock another git holds), uptime and records/s.
            Never starts a host: prints "not running" and exits 3 when none serves the memory.
            """)
        {
            json, basePath,
        };
        command.SetAction(async parse =>
        {
            var paths = ClientRunner.Paths(parse, basePath);
            var response = await ClientRunner.SendAsync("status", paths, new WireRequest { Command = WireProtocol.Commands.Status },
                TimeSpan.FromSeconds(30), startHost: false);
            var asJson = parse.GetValue(json);
            if (response?.HostStatus is not { } status)
            {
                if (response is null && HostConnector.HostHoldingLock(paths) is { } pid)
                {
                    // Found through its lock and pid record: alive, but its socket does not answer.
                    if (asJson) ClientRunner.PrintJson(new WireResponse { HostStatus = new HostStatus { Running = true, Pid = pid, BasePath = paths.BasePath, CommitterState = "not answering on its socket" } });
                    else Console.WriteLine($"running: pid {pid}, serving {paths.BasePath}, but not answering on {HostAddress.PipeName(paths)}");
                    return ExitCodes.HostUnreachable;
                }
                if (asJson) ClientRunner.PrintJson(new WireResponse { HostStatus = new HostStatus { Running = false, BasePath = paths.BasePath, CommitterState = "not running" } });
                else Console.WriteLine($"not running (no host serves {paths.BasePath})");
                return ExitCodes.HostUnreachable;
            }
            if (asJson)
            {
                ClientRunner.PrintJson(response);
                return ExitCodes.Success;
            }
            var last = status.LastCommitId is null
                ? "none yet"
                : $"{status.LastCommitId[..Math.Min(12, status.LastCommitId.Length)]} at {status.LastCommitAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}";
            Console.WriteLine($"running: pid {status.Pid}, serving {status.BasePath}");
            if (status.IndexUnreadable is { } unreadable)
            {
                Console.WriteLine($"  index:         {unreadable}");
                Console.WriteLine($"  committed:     {status.CommittedSinceStart} records since start");
            }
            else
            {
                Console.WriteLine($"  pending:       {status.Pending} records waiting for a commit");
                Console.WriteLine($"  committed:     {status.Committed} records ({status.CommittedSinceStart} since start)");
            }
            Console.WriteLine($"  acknowledged:  {status.AcknowledgedSinceStart} since start");
            Console.WriteLine($"  last commit:   {last}");
            var looked = status.CommitterLookedSecondsAgo is { } ago ? $"; looked {ago.ToString("0.#", CultureInfo.InvariantCulture)} s ago" : "";
            Console.WriteLine($"  committer:     {status.CommitterState} (started {status.CommitterStarts} time{(status.CommitterStarts == 1 ? "" : "s")}{looked})");
            if (status.CommitterStall is { } stall) Console.WriteLine($"  stalled:       {stall}");
            if (status.GitWriter is { } writer) Console.WriteLine($"  git writer:    {writer}");
            Console.WriteLine($"  uptime:        {TimeSpan.FromSeconds(Math.Round(status.UptimeSeconds)):c}");
            Console.WriteLine($"  throughput:    {status.RecordsPerSecond.ToString("0.#", CultureInfo.InvariantCulture)} records/s (last minute)");
            if (status.Sync is { } sync)
            {
                Console.WriteLine($"  sync:          {SyncCommand.Describe(sync)}");
                if (sync.LastError is { } syncError)
                    Console.WriteLine($"  sync error:    {sync.LastErrorAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {syncError}");
            }
            if (status.Cluster is { } cluster)
            {
                // This node's view: a node killed while the others are not Up in every node's view takes them down too (ADR 0067).
                var members = string.Join(", ", cluster.Members.Select(m => $"{m.Address} {m.Status}{(m.Reachable ? "" : " unreachable")}"));
                Console.WriteLine($"  cluster:       node {cluster.Self}, leader {cluster.Leader ?? "none"}, {(cluster.Converged ? "converged" : "not converged")}; {members}");
            }
            if (status.LastError is { } error)
                Console.WriteLine($"  last error:    {status.LastErrorAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {error} (see elf logs)");
            Console.WriteLine($"  version:       {status.Version}");
            if (status.Version is { } hostVersion && ElfVersion.Compare(hostVersion, ElfVersion.Current) != 0)
                Console.WriteLine($"                 this elf is {ElfVersion.Current}: " + (ElfVersion.Compare(ElfVersion.Current, hostVersion) > 0
                    ? "its next record stops this host (after it commits everything) and starts this version's"
                    : "it refuses to record through this newer host; use the newer elf"));
            return ExitCodes.Success;
        });
        return command;
    }
}
