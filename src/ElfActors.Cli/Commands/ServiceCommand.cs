using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

/// <summary>
/// `elf service install|uninstall|status|show`: a systemd user unit (Linux) or a launchd agent (macOS, <see cref="LaunchdService"/>)
/// that keeps a memory's host always on (docs/install.md#service). No root: the file goes to the user's own folder and is
/// run by the user's own manager.
/// </summary>
internal static class ServiceCommand
{
    public static Command Create()
    {
        var command = new Command("service", """
            Keep a memory's host always on, no root needed. On Linux a systemd user unit:
            ~/.config/systemd/user/elf-host-<key>.service, run by `systemctl --user`. On macOS a launchd agent:
            ~/Library/LaunchAgents/com.elfactors.host.<key>.plist, loaded into the log-in session with `launchctl bootstrap`.
            Either runs `elf serve --base DIR`, starts it at log-in and again only if it fails, and gives it 150 s to commit
            when stopped. install writes, enables and starts it (run again after upgrading elf: it restarts a host of another
            release); uninstall stops it (every acknowledged record committed first) and removes it; status shows it; show
            prints what install would write, without installing it. --manager systemd|launchd picks the other manager
            than this system's (to review its file, or where both exist). Installing twice changes nothing. Systems
            with neither: it says so and exits 1.
            """);
        command.Subcommands.Add(Sub("install", "Write, enable and start the memory's unit or agent (run again after upgrading elf: it rewrites it and restarts the host when either changed).", Install));
        command.Subcommands.Add(Sub("uninstall", "Stop, disable and remove the memory's unit or agent (exit 0 when there is none).", Uninstall));
        command.Subcommands.Add(Sub("status", "Show the memory's unit or agent: its file, whether it is enabled and running. Exit 0 when it runs, 3 when not.", Status));
        command.Subcommands.Add(Show());
        return command;
    }

    private static Command Sub(string name, string description, Func<ServiceManager?, MemoryPaths, int> action)
    {
        var basePath = ClientRunner.BaseOption();
        var manager = ManagerOption();
        var sub = new Command(name, description) { basePath, manager };
        sub.SetAction(parse => action(Manager(parse, manager), ClientRunner.Paths(parse, basePath)));
        return sub;
    }

    private static Option<string?> ManagerOption()
    {
        var manager = new Option<string?>("--manager")
        {
            Description = "systemd (a user unit) or launchd (a LaunchAgent plist); default: this system's (systemd on Linux, launchd on macOS).",
        };
        manager.AcceptOnlyFromAmong("systemd", "launchd");
        return manager;
    }

    private static ServiceManager? Manager(ParseResult parse, Option<string?> option) => parse.GetValue(option) switch
    {
        "systemd" => ServiceManager.Systemd,
        "launchd" => ServiceManager.Launchd,
        _ => ServiceFiles.OfThisSystem,
    };

    /// <summary>`elf service show [--manager systemd|launchd]`: the file install would write, on stdout, and where, on stderr.</summary>
    private static Command Show()
    {
        var basePath = ClientRunner.BaseOption();
        var manager = ManagerOption();
        var show = new Command("show", "Print the unit (systemd) or agent (launchd) that install would write for the memory, and where it would go; starts nothing and writes no unit (it creates the memory's folder, whose identity names the file, as install does).")
        {
            basePath, manager,
        };
        show.SetAction(parse =>
        {
            var paths = ClientRunner.Paths(parse, basePath);
            if (paths.RefusalReason() is { } refusal) return Error("show", refusal, ExitCodes.InvalidInput);
            ServiceManager? chosen = Manager(parse, manager);
            if (chosen is not { } kind)
                return Error("show", "this system has neither systemd nor launchd: name one with --manager systemd|launchd", ExitCodes.InvalidInput);
            // The file is named by the folder's identity, as install names it: install creates the folder first, and so does this.
            Directory.CreateDirectory(paths.BasePath);
            Console.Error.WriteLine($"# install would write {ServiceFiles.FilePath(kind, paths, Environment.GetEnvironmentVariable)}");
            Console.Write(Text(kind, paths));
            return ExitCodes.Success;
        });
        return show;
    }

    private static string Text(ServiceManager manager, MemoryPaths paths) => manager == ServiceManager.Systemd
        ? SystemdUnit.For(paths, ElfExecutable(), Environment.GetEnvironmentVariable)
        : LaunchdAgent.For(paths, ElfExecutable(), Environment.GetEnvironmentVariable);

    private static int Install(ServiceManager? manager, MemoryPaths paths) => manager switch
    {
        ServiceManager.Systemd => InstallSystemd(paths),
        ServiceManager.Launchd => LaunchdService.Install(paths),
        _ => Unsupported("install"),
    };

    private static int Uninstall(ServiceManager? manager, MemoryPaths paths) => manager switch
    {
        ServiceManager.Systemd => UninstallSystemd(paths),
        ServiceManager.Launchd => LaunchdService.Uninstall(paths),
        _ => Unsupported("uninstall"),
    };

    private static int Status(ServiceManager? manager, MemoryPaths paths) => manager switch
    {
        ServiceManager.Systemd => StatusSystemd(paths),
        ServiceManager.Launchd => LaunchdService.Status(paths),
        _ => Unsupported("status"),
    };

    /// <summary>
    /// Writes the unit or agent to its file when its text differs (through a temporary file: never half-written), creating
    /// the memory's folder first (the file is named by its identity). Null and whether it changed, or the refusal's exit.
    /// </summary>
    internal static (string File, bool Changed)? Write(string command, ServiceManager manager, MemoryPaths paths, out int exit)
    {
        exit = ExitCodes.Success;
        if (paths.RefusalReason() is { } refusal)
        {
            exit = Error(command, refusal, ExitCodes.InvalidInput);
            return null;
        }
        Directory.CreateDirectory(paths.BasePath);
        var text = Text(manager, paths);
        var file = ServiceFiles.FilePath(manager, paths, Environment.GetEnvironmentVariable);
        var changed = !File.Exists(file) || File.ReadAllText(file) != text;
        if (changed)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temporary = file + ".tmp";
            File.WriteAllText(temporary, text);
            File.Move(temporary, file, overwrite: true);
            Console.WriteLine($"wrote {file}");
        }
        else Console.WriteLine($"{file} is up to date");
        return (file, changed);
    }

    /// <summary>
    /// The release of the host serving the memory when it is not this elf's (a host an upgrade left running), else null:
    /// install restarts such a host, since the service's host is not replaced by the next record (docs/install.md#service).
    /// </summary>
    internal static string? OtherReleaseRunning(MemoryPaths paths)
    {
        return Probe().GetAwaiter().GetResult();

        async Task<string?> Probe()
        {
            if (await HostConnector.TryConnectAsync(paths) is not { } client) return null;
            await using (client)
            {
                try
                {
                    var response = await client.SendAsync(new WireRequest { Command = WireProtocol.Commands.Status }, TimeSpan.FromSeconds(10));
                    var version = response.HostStatus?.Version ?? response.HostVersion ?? "older than the version handshake";
                    return ElfVersion.Compare(version, ElfVersion.Current) == 0 ? null : version;
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                    return null;
                }
            }
        }
    }

    /// <summary>Stops a host elf started by itself for the memory (it commits everything first), so that the service's can take it.</summary>
    internal static int? StopAutoStartedHost(string command, MemoryPaths paths)
    {
        if (HostConnector.HostHoldingLock(paths) is not { } pid) return null;
        Console.WriteLine($"stopping the host elf started (pid {pid}) so that the service's host can take over");
        var stop = RunSelf("stop", "--base", paths.BasePath);
        return stop.Exit == 0 ? null : Error(command, $"`elf stop` failed: {stop.Output}", ExitCodes.Failure);
    }

    private static int InstallSystemd(MemoryPaths paths)
    {
        if (Write("install", ServiceManager.Systemd, paths, out var refused) is not var (file, changed)) return refused;
        if (SystemdProblem() is { } problem)
        {
            Console.Error.WriteLine($"elf service install: {problem}: the unit is written but not enabled. In a session with a systemd user manager run " +
                                    $"`systemctl --user daemon-reload && systemctl --user enable --now {Path.GetFileName(file)}`; without systemd, run " +
                                    $"`elf serve --base {paths.BasePath}` from your session's start-up instead (or let `elf` start the host when needed)");
            return ExitCodes.Failure;
        }
        var name = Path.GetFileName(file);
        if (Systemctl("daemon-reload") is { Exit: not 0 } reload) return Error("install", $"systemctl --user daemon-reload: {reload.Output}", ExitCodes.Failure);
        var active = Systemctl("is-active", "--quiet", name).Exit == 0;
        if (!active && StopAutoStartedHost("install", paths) is { } stopFailed) return stopFailed;
        var older = active ? OtherReleaseRunning(paths) : null;
        if (Systemctl("enable", name) is { Exit: not 0 } enable) return Error("install", $"systemctl --user enable {name}: {enable.Output}", ExitCodes.Failure);
        var restart = active && (changed || older is not null);
        var start = restart ? Systemctl("restart", name) : Systemctl("start", name);
        if (start.Exit != 0) return Error("install", $"systemctl --user start {name}: {start.Output} (see `journalctl --user -u {name}` and `elf logs`)", ExitCodes.Failure);
        var how = restart ? older is null ? "restarted" : $"restarted (its host ran release {older})" : active ? "running" : "started";
        Console.WriteLine($"{name} is enabled and {how}: the host of {paths.BasePath} stays up");
        return ExitCodes.Success;
    }

    private static int UninstallSystemd(MemoryPaths paths)
    {
        var file = ServiceFiles.FilePath(ServiceManager.Systemd, paths, Environment.GetEnvironmentVariable);
        var name = Path.GetFileName(file);
        if (!File.Exists(file))
        {
            Console.WriteLine($"no service is installed for {paths.BasePath} ({file} does not exist)");
            return ExitCodes.Success;
        }
        if (SystemdProblem() is null)
        {
            // SIGTERM: the host's graceful stop, which commits every acknowledged record before it exits.
            if (Systemctl("disable", "--now", name) is { Exit: not 0 } disable)
                return Error("uninstall", $"systemctl --user disable --now {name}: {disable.Output}; the unit file is left in place", ExitCodes.Failure);
        }
        File.Delete(file);
        if (SystemdProblem() is null) Systemctl("daemon-reload");
        Console.WriteLine($"removed {file}");
        return ExitCodes.Success;
    }

    private static int StatusSystemd(MemoryPaths paths)
    {
        var file = ServiceFiles.FilePath(ServiceManager.Systemd, paths, Environment.GetEnvironmentVariable);
        var name = Path.GetFileName(file);
        if (!File.Exists(file))
        {
            Console.WriteLine($"not installed: no {file} (`elf service install --base {paths.BasePath}` installs it)");
            return ExitCodes.HostUnreachable;
        }
        Console.WriteLine($"unit:    {file}");
        if (SystemdProblem() is { } problem)
        {
            Console.WriteLine($"state:   unknown ({problem})");
            return ExitCodes.HostUnreachable;
        }
        var enabled = Systemctl("is-enabled", name).Output.Trim();
        var active = Systemctl("is-active", name).Output.Trim();
        Console.WriteLine($"enabled: {enabled}");
        Console.WriteLine($"active:  {active}");
        return active == "active" ? ExitCodes.Success : ExitCodes.HostUnreachable;
    }

    private static int Unsupported(string command) =>
        Error(command, "service mode needs systemd (Linux) or launchd (macOS): run `elf serve --base DIR` at log-on instead", ExitCodes.Failure);

    internal static int Error(string command, string message, int exit)
    {
        Console.Error.WriteLine($"elf service {command}: {message}");
        return exit;
    }

    /// <summary>Why the user's systemd manager cannot be reached, or null when it can.</summary>
    private static string? SystemdProblem()
    {
        var probe = Systemctl("show-environment");
        if (probe.Exit == -1) return "systemctl was not found (no systemd here)";
        return probe.Exit == 0 ? null : $"no systemd user manager reachable (`systemctl --user` says: {probe.Output.Trim()})";
    }

    private static (int Exit, string Output) Systemctl(params string[] arguments) => Run("systemctl", ["--user", .. arguments]);

    internal static (int Exit, string Output) RunSelf(params string[] arguments) => Run(Environment.ProcessPath ?? "elf", arguments);

    internal static (int Exit, string Output) Run(string file, IReadOnlyList<string> arguments)
    {
        try
        {
            var (exit, stdout, stderr) = ProgramRunner.Run(file, arguments);
            return (exit, (stdout + stderr).Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    /// <summary>
    /// The `elf` the unit runs: the PATH's `elf` when it is this very program (a stable name, such as ~/.dotnet/tools/elf,
    /// that survives `dotnet tool update`), else this program's own path.
    /// </summary>
    private static string ElfExecutable()
    {
        var self = Environment.ProcessPath ?? Path.Combine(AppContext.BaseDirectory, "elf");
        var real = Resolve(self);
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, "elf");
            if (Path.IsPathRooted(candidate) && File.Exists(candidate) && Resolve(candidate) == real) return candidate;
        }
        return self;
    }

    private static string Resolve(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }
}
