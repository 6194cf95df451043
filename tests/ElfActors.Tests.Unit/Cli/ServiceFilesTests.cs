using System.Diagnostics;
using System.Text.Json;
using ElfActors.Cli.Commands;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Cli;

/// <summary>
/// What `elf service` writes: the launchd agent read back by python3's plistlib (Apple's format, parsed by a reader that
/// is not ours), and `elf service show|--help` run as the built elf, for either manager on any system.
/// </summary>
public sealed class ServiceFilesTests : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("elf-service-files-");

    public void Dispose() => _home.Delete(recursive: true);

    private static string Elf => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "elf.exe" : "elf");

    /// <summary>A base folder with a space, XML's specials and shell and systemd syntax, none of which may be interpreted.</summary>
    private string Memory => Path.Combine(_home.FullName, "my memory & <notes> %h $HOME");

    [Fact]
    public void The_launchd_agent_is_a_plist_that_runs_elf_serve_at_load_restarts_it_on_failure_and_logs_to_the_users_library()
    {
        var environment = new Dictionary<string, string?> { ["HOME"] = _home.FullName, ["PATH"] = "/opt/x & y:/usr/bin", ["DOTNET_ROOT"] = "/opt/dotnet" };
        var paths = MemoryPaths.Resolve(Memory);

        var plist = Plist(LaunchdAgent.For(paths, "/Users/me/.dotnet/tools/elf", name => environment.GetValueOrDefault(name)));
        if (plist is null) return;

        var root = plist.RootElement;
        var label = root.GetProperty("Label").GetString();
        Assert.Matches("^com\\.elfactors\\.host\\.[0-9a-f]{20}$", label);
        Assert.Equal(ServiceFiles.Name(ServiceManager.Launchd, paths), label);
        Assert.Equal(["/Users/me/.dotnet/tools/elf", "serve", "--base", Memory], root.GetProperty("ProgramArguments").EnumerateArray().Select(a => a.GetString()));
        Assert.True(root.GetProperty("RunAtLoad").GetBoolean());
        // Started again when it fails, not when it exits 0 (elf stop, an upgrade's hand-over): systemd's Restart=on-failure.
        Assert.False(root.GetProperty("KeepAlive").GetProperty("SuccessfulExit").GetBoolean());
        Assert.Equal(150, root.GetProperty("ExitTimeOut").GetInt32());
        Assert.Equal(10, root.GetProperty("ThrottleInterval").GetInt32());
        var log = Path.Combine(_home.FullName, "Library", "Logs", label + ".log");
        Assert.Equal(log, root.GetProperty("StandardOutPath").GetString());
        Assert.Equal(log, root.GetProperty("StandardErrorPath").GetString());
        var variables = root.GetProperty("EnvironmentVariables");
        Assert.Equal("/opt/x & y:/usr/bin", variables.GetProperty("PATH").GetString());
        Assert.Equal("/opt/dotnet", variables.GetProperty("DOTNET_ROOT").GetString());
        Assert.Equal(
            Path.Combine(_home.FullName, "Library", "LaunchAgents", label + ".plist"),
            ServiceFiles.FilePath(ServiceManager.Launchd, paths, name => environment.GetValueOrDefault(name)));
    }

    [Fact]
    public void Without_dotnet_root_the_agent_has_no_such_variable()
    {
        var paths = MemoryPaths.Resolve(Memory);
        var plist = Plist(LaunchdAgent.For(paths, "/usr/local/bin/elf", name => name == "PATH" ? "/usr/bin" : null));
        if (plist is null) return;

        var variables = plist.RootElement.GetProperty("EnvironmentVariables");
        Assert.Equal(["PATH"], variables.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Show_prints_either_managers_file_and_where_install_would_put_it_and_writes_nothing()
    {
        var launchd = Run("service", "show", "--manager", "launchd", "--base", Memory);
        Assert.True(launchd.ExitCode == 0, launchd.Stderr);
        Assert.Matches(@"# install would write .*/Library/LaunchAgents/com\.elfactors\.host\.[0-9a-f]{20}\.plist", launchd.Stderr);
        if (Plist(launchd.Stdout) is { } plist)
            Assert.Equal([Elf, "serve", "--base", Memory], plist.RootElement.GetProperty("ProgramArguments").EnumerateArray().Select(a => a.GetString()));

        var systemd = Run("service", "show", "--manager", "systemd", "--base", Memory);
        Assert.True(systemd.ExitCode == 0, systemd.Stderr);
        Assert.Matches(@"# install would write .*/systemd/user/elf-host-[0-9a-f]{20}\.service", systemd.Stderr);
        Assert.Contains($"ExecStart=\"{Elf}\" serve --base \"{Memory.Replace("%", "%%").Replace("$", "$$")}\"", systemd.Stdout);
        Assert.Contains("Restart=on-failure", systemd.Stdout);

        // No unit or agent written (only the memory's own folder, whose identity names them, as install creates it).
        Assert.False(Directory.Exists(Path.Combine(_home.FullName, "Library")));
        Assert.False(Directory.Exists(Path.Combine(_home.FullName, ".config")));

        var wrong = Run("service", "show", "--manager", "upstart", "--base", Memory);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("upstart", wrong.Stderr);
    }

    [Fact]
    public void Service_help_explains_both_managers_and_the_show_subcommand()
    {
        var help = Run("service", "--help");

        Assert.True(help.ExitCode == 0, help.Stderr);
        Assert.Contains("systemd user unit", help.Stdout);
        Assert.Contains("~/.config/systemd/user/elf-host-<key>.service", help.Stdout);
        Assert.Contains("launchd agent", help.Stdout);
        Assert.Contains("~/Library/LaunchAgents/com.elfactors.host.<key>.plist", help.Stdout);
        Assert.Contains("--manager systemd|launchd", help.Stdout);
        foreach (var sub in new[] { "install", "uninstall", "status", "show" })
            Assert.Matches($@"(?m)^\s+{sub}\s", help.Stdout);
    }

    [Fact]
    public void Launchd_install_bootstraps_the_agent_once_status_reads_launchctl_and_uninstall_boots_it_out_and_removes_it()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        // launchctl as a log-in session answers it, recording each call; the agent is "loaded" between bootstrap and bootout.
        var bin = Directory.CreateDirectory(Path.Combine(_home.FullName, "stub-bin")).FullName;
        var calls = Path.Combine(_home.FullName, "launchctl.calls");
        var loaded = Path.Combine(_home.FullName, "loaded");
        var stub = Path.Combine(bin, "launchctl");
        File.WriteAllText(stub, $$"""
            #!/bin/sh
            echo "$*" >> '{{calls}}'
            case "$1 $2" in
              "print gui/"*/*) [ -e '{{loaded}}' ] || { echo "Could not find service" >&2; exit 113; }; echo "state = running" ;;
              "bootstrap "*) touch '{{loaded}}' ;;
              "bootout "*) rm -f '{{loaded}}' ;;
            esac
            exit 0
            """);
        File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = bin + ":/usr/bin:/bin";
        var uid = Tools.Run("id", _home.FullName, "-u").Stdout.Trim();

        var install = RunWithPath(path, "service", "install", "--manager", "launchd", "--base", Memory);

        Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);
        var agent = Assert.Single(Directory.GetFiles(Path.Combine(_home.FullName, "Library", "LaunchAgents")));
        var label = Path.GetFileNameWithoutExtension(agent);
        Assert.Contains($"{label} is loaded and started", install.Stdout);
        Assert.Equal([$"print gui/{uid}", $"print gui/{uid}/{label}", $"bootstrap gui/{uid} {agent}"], File.ReadAllLines(calls));

        File.Delete(calls);
        var again = RunWithPath(path, "service", "install", "--manager", "launchd", "--base", Memory);
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);
        Assert.Contains("is up to date", again.Stdout);
        Assert.Contains($"{label} is running", again.Stdout);
        Assert.Equal([$"print gui/{uid}", $"print gui/{uid}/{label}", $"kickstart gui/{uid}/{label}"], File.ReadAllLines(calls));

        var status = RunWithPath(path, "service", "status", "--manager", "launchd", "--base", Memory);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains($"agent:   {agent}", status.Stdout);
        Assert.Contains("active:  running", status.Stdout);

        File.Delete(calls);
        var uninstall = RunWithPath(path, "service", "uninstall", "--manager", "launchd", "--base", Memory);
        Assert.True(uninstall.ExitCode == 0, uninstall.Stdout + uninstall.Stderr);
        Assert.False(File.Exists(agent));
        Assert.Equal([$"print gui/{uid}", $"print gui/{uid}/{label}", $"bootout gui/{uid}/{label}"], File.ReadAllLines(calls));
        Assert.Equal(3, RunWithPath(path, "service", "status", "--manager", "launchd", "--base", Memory).ExitCode);

        // No launchctl (Linux, or a Mac's SSH session without it on the PATH): the agent is written, not loaded, exit 1.
        var without = RunWithPath("/nonexistent", "service", "install", "--manager", "launchd", "--base", Memory);
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("launchctl was not found", without.Stderr);
        Assert.Contains("the agent is written but not loaded", without.Stderr);
        Assert.True(File.Exists(agent));
    }

    /// <summary>`elf` with HOME and XDG_CONFIG_HOME in the temp folder.</summary>
    private (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments) => RunWithPath(null, arguments);

    /// <summary>`elf` with HOME and XDG_CONFIG_HOME in the temp folder, and <paramref name="path"/> as its PATH when given.</summary>
    private (int ExitCode, string Stdout, string Stderr) RunWithPath(string? path, params string[] arguments)
    {
        var start = new ProcessStartInfo(Elf) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["HOME"] = _home.FullName;
        start.Environment.Remove("XDG_CONFIG_HOME");
        if (path is not null) start.Environment["PATH"] = path;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The plist read by python3's plistlib, as JSON; null (saying so) where python3 is not installed.</summary>
    private JsonDocument? Plist(string text)
    {
        var file = Path.Combine(_home.FullName, "agent.plist");
        File.WriteAllText(file, text);
        const string script = "import json, plistlib, sys\nwith open(sys.argv[1], 'rb') as f: print(json.dumps(plistlib.load(f)))";
        (int ExitCode, string Stdout, string Stderr) parsed;
        try
        {
            parsed = Tools.Run("python3", _home.FullName, "-c", script, file);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.WriteLine("python3 is not installed: the launchd agent's plist is not parsed (.ci/run installs python3)");
            return null;
        }
        Assert.True(parsed.ExitCode == 0, $"plistlib rejects the agent: {parsed.Stderr}\n{text}");
        return JsonDocument.Parse(parsed.Stdout);
    }
}
