using System.Globalization;

namespace ElfActors.Cli.Commands;

/// <summary>
/// `elf service install|uninstall|status` on macOS: the memory's <see cref="LaunchdAgent"/> in ~/Library/LaunchAgents,
/// loaded into the user's log-in (gui/&lt;uid&gt;) domain with `launchctl bootstrap`, removed with `launchctl bootout`
/// (SIGTERM: the host commits everything before it exits, within the agent's ExitTimeOut).
/// </summary>
internal static class LaunchdService
{
    public static int Install(MemoryPaths paths)
    {
        if (ServiceCommand.Write("install", ServiceManager.Launchd, paths, out var refused) is not var (file, changed)) return refused;
        var (domain, target) = Target(paths);
        if (LaunchdProblem(domain) is { } problem)
        {
            Console.Error.WriteLine($"elf service install: {problem}: the agent is written but not loaded. In your log-in session run " +
                                    $"`launchctl bootstrap {domain} {file}`; or let `elf` start the host when needed");
            return ExitCodes.Failure;
        }
        var loaded = Launchctl("print", target).Exit == 0;
        if (!loaded && ServiceCommand.StopAutoStartedHost("install", paths) is { } stopFailed) return stopFailed;
        var older = loaded ? ServiceCommand.OtherReleaseRunning(paths) : null;
        var reload = loaded && (changed || older is not null);
        if (reload && Launchctl("bootout", target) is { Exit: not 0 } bootout)
            return ServiceCommand.Error("install", $"launchctl bootout {target}: {bootout.Output}", ExitCodes.Failure);
        // Loading it starts it (RunAtLoad); one already loaded is started if it is not running (kickstart without -k).
        var start = !loaded || reload ? Launchctl("bootstrap", domain, file) : Launchctl("kickstart", target);
        if (start.Exit != 0)
            return ServiceCommand.Error("install", $"launchctl {(!loaded || reload ? "bootstrap" : "kickstart")}: {start.Output} " +
                                                   $"(see {ServiceFiles.LaunchdLog(paths, Environment.GetEnvironmentVariable)} and `elf logs`)", ExitCodes.Failure);
        var how = reload ? older is null ? "reloaded" : $"reloaded (its host ran release {older})" : loaded ? "running" : "loaded and started";
        Console.WriteLine($"{ServiceFiles.Name(ServiceManager.Launchd, paths)} is {how}: the host of {paths.BasePath} stays up");
        return ExitCodes.Success;
    }

    public static int Uninstall(MemoryPaths paths)
    {
        var file = ServiceFiles.FilePath(ServiceManager.Launchd, paths, Environment.GetEnvironmentVariable);
        if (!File.Exists(file))
        {
            Console.WriteLine($"no service is installed for {paths.BasePath} ({file} does not exist)");
            return ExitCodes.Success;
        }
        var (domain, target) = Target(paths);
        if (LaunchdProblem(domain) is null && Launchctl("print", target).Exit == 0 && Launchctl("bootout", target) is { Exit: not 0 } bootout)
            return ServiceCommand.Error("uninstall", $"launchctl bootout {target}: {bootout.Output}; the agent's file is left in place", ExitCodes.Failure);
        File.Delete(file);
        Console.WriteLine($"removed {file}");
        return ExitCodes.Success;
    }

    public static int Status(MemoryPaths paths)
    {
        var file = ServiceFiles.FilePath(ServiceManager.Launchd, paths, Environment.GetEnvironmentVariable);
        if (!File.Exists(file))
        {
            Console.WriteLine($"not installed: no {file} (`elf service install --base {paths.BasePath}` installs it)");
            return ExitCodes.HostUnreachable;
        }
        Console.WriteLine($"agent:   {file}");
        var (domain, target) = Target(paths);
        if (LaunchdProblem(domain) is { } problem)
        {
            Console.WriteLine($"state:   unknown ({problem})");
            return ExitCodes.HostUnreachable;
        }
        var print = Launchctl("print", target);
        var running = print.Exit == 0 && print.Output.Contains("state = running", StringComparison.Ordinal);
        Console.WriteLine($"loaded:  {(print.Exit == 0 ? "yes" : "no")}");
        Console.WriteLine($"active:  {(running ? "running" : "not running")}");
        return running ? ExitCodes.Success : ExitCodes.HostUnreachable;
    }

    private static (string Domain, string Target) Target(MemoryPaths paths)
    {
        var domain = "gui/" + Posix.EffectiveUserId.ToString(CultureInfo.InvariantCulture);
        return (domain, domain + "/" + ServiceFiles.Name(ServiceManager.Launchd, paths));
    }

    /// <summary>Why the user's log-in domain cannot be reached (no launchctl, or no log-in session: over SSH), or null.</summary>
    private static string? LaunchdProblem(string domain)
    {
        var probe = Launchctl("print", domain);
        if (probe.Exit == -1) return "launchctl was not found (no launchd here)";
        return probe.Exit == 0 ? null : $"no launchd log-in session for this user (`launchctl print {domain}` says: {probe.Output.Trim()})";
    }

    private static (int Exit, string Output) Launchctl(params string[] arguments) => ServiceCommand.Run("launchctl", arguments);
}
