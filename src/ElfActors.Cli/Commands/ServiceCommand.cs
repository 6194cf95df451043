using System.CommandLine;
using System.Diagnostics;

namespace ElfActors.Cli.Commands;

/// <summary>
/// `elf service install|uninstall|status`: a systemd user unit that keeps a memory's host always on (docs/install.md#service).
/// No root: the unit goes to the user's own unit folder and is run by the user's systemd manager.
/// </summary>
internal static class ServiceCommand
{
    public static Command Create()
    {
        var command = new Command("service", """
            Keep a memory's host always on with a systemd user unit (no root needed): install writes
            ~/.config/systemd/user/elf-host-<key>.service running `elf serve --base DIR`, enables and starts it; uninstall
            stops it (every acknowledged record committed first), disables and removes it; status shows the unit and its
            state. Linux with systemd only: elsewhere it says so and exits 1. Installing twice changes nothing.
            """);
        command.Subcommands.Add(Sub("install", "Write, enable and start the memory's unit (run again after upgrading elf: it rewrites and restarts it when it changed).", Install));
        command.Subcommands.Add(Sub("uninstall", "Stop, disable and remove the memory's unit (exit 0 when there is none).", Uninstall));
        command.Subcommands.Add(Sub("status", "Show the memory's unit: its file, whether it is enabled and running. Exit 0 when it runs, 3 when not.", Status));
        return command;
    }

    private static Command Sub(string name, string description, Func<MemoryPaths, int> action)
    {
        var basePath = ClientRunner.BaseOption();
        var sub = new Command(name, description) { basePath };
        sub.SetAction(parse => action(ClientRunner.Paths(parse, basePath)));
        return sub;
    }

    private static int Install(MemoryPaths paths)
    {
        if (Unsupported("install") is { } exit) return exit;
        if (paths.RefusalReason() is { } refusal) return Error("install", refusal, ExitCodes.InvalidInput);
        // The unit is named by the memory's identity (its folder's device and inode): the folder must exist first.
        Directory.CreateDirectory(paths.BasePath);
        var unit = SystemdUnit.For(paths, ElfExecutable(), Environment.GetEnvironmentVariable);
        var file = SystemdUnit.FilePath(paths, Environment.GetEnvironmentVariable);
        var changed = !File.Exists(file) || File.ReadAllText(file) != unit;
        if (changed)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temporary = file + ".tmp";
            File.WriteAllText(temporary, unit);
            File.Move(temporary, file, overwrite: true);
            Console.WriteLine($"wrote {file}");
        }
        else Console.WriteLine($"{file} is up to date");
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
        if (!active && HostConnector.HostHoldingLock(paths) is { } pid)
        {
            // A host elf started by itself holds the memory: stop it (it commits everything first) so the unit's can start.
            Console.WriteLine($"stopping the host elf started (pid {pid}) so that the service's host can take over");
            var stop = RunSelf("stop", "--base", paths.BasePath);
            if (stop.Exit != 0) return Error("install", $"`elf stop` failed: {stop.Output}", ExitCodes.Failure);
        }
        if (Systemctl("enable", name) is { Exit: not 0 } enable) return Error("install", $"systemctl --user enable {name}: {enable.Output}", ExitCodes.Failure);
        var start = changed && active ? Systemctl("restart", name) : Systemctl("start", name);
        if (start.Exit != 0) return Error("install", $"systemctl --user start {name}: {start.Output} (see `journalctl --user -u {name}` and `elf logs`)", ExitCodes.Failure);
        Console.WriteLine($"{name} is enabled and {(changed && active ? "restarted" : active ? "running" : "started")}: the host of {paths.BasePath} stays up");
        return ExitCodes.Success;
    }

    private static int Uninstall(MemoryPaths paths)
    {
        if (Unsupported("uninstall") is { } exit) return exit;
        var file = SystemdUnit.FilePath(paths, Environment.GetEnvironmentVariable);
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

    private static int Status(MemoryPaths paths)
    {
        if (Unsupported("status") is { } exit) return exit;
        var file = SystemdUnit.FilePath(paths, Environment.GetEnvironmentVariable);
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

    private static int? Unsupported(string command)
    {
        if (OperatingSystem.IsLinux()) return null;
        return Error(command, OperatingSystem.IsMacOS()
            ? "a launchd agent is not written yet: run `elf serve --base DIR` from a launchd agent of your own (docs/install.md#service)"
            : "service mode needs systemd (Linux): run `elf serve --base DIR` at log-on instead", ExitCodes.Failure);
    }

    private static int Error(string command, string message, int exit)
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

    private static (int Exit, string Output) RunSelf(params string[] arguments) => Run(Environment.ProcessPath ?? "elf", arguments);

    private static (int Exit, string Output) Run(string file, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, (stdout + stderr.GetAwaiter().GetResult()).Trim());
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
