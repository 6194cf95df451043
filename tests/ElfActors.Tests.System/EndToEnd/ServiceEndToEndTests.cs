using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// `elf service install|status|uninstall` with the published elf, in a temp HOME: the unit file it writes is checked by
/// systemd's own `systemd-analyze verify --user` (where systemd-analyze is installed; skipped, saying so, elsewhere),
/// and the systemctl calls are checked with a systemctl on the PATH that records them (no user manager runs in CI).
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServiceEndToEndTests(PublishedElf elf) : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("elf-service-home-");

    public void Dispose() => _home.Delete(recursive: true);

    /// <summary>The unit goes to the temp XDG_CONFIG_HOME; HOME stays the runner's unless asked, so that `elf` finds the
    /// host a test started (the runtime folder follows HOME when XDG_RUNTIME_DIR is unset).</summary>
    private Dictionary<string, string> Environment(string path, bool ownHome)
    {
        var environment = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Combine(_home.FullName, "config"), ["PATH"] = path };
        if (ownHome) environment["HOME"] = _home.FullName;
        return environment;
    }

    private string UnitFolder => Path.Combine(_home.FullName, "config", "systemd", "user");

    [Fact]
    public async Task Without_a_systemd_user_manager_install_writes_a_valid_unit_says_it_is_not_enabled_and_uninstall_removes_it()
    {
        // A base folder with a space, a '%' and a '$': systemd's specifier and variable syntax must not touch it.
        var memory = Path.Combine(_home.FullName, "my memory %h $HOME");
        var noSystemd = Path.Combine(_home.FullName, "bin");
        Directory.CreateDirectory(noSystemd);
        foreach (var tool in new[] { "git", "dotnet" })
            if (Tools.Run("bash", _home.FullName, "-c", $"command -v {tool}") is { ExitCode: 0 } found)
                File.CreateSymbolicLink(Path.Combine(noSystemd, tool), found.Stdout.Trim());
        var environment = Environment(noSystemd + ":/bin/nonexistent", ownHome: true);

        var install = await elf.RunAsync(["service", "install", "--base", memory], environment);

        Assert.True(install.ExitCode == 1, install.ToString());
        Assert.Contains("systemctl was not found", install.Stderr);
        Assert.Contains("the unit is written but not enabled", install.Stderr);
        var unit = Assert.Single(Directory.GetFiles(UnitFolder));
        Assert.Matches(@"elf-host-[0-9a-f]{20}\.service$", unit);
        var text = File.ReadAllText(unit);
        Assert.Contains($"ExecStart=\"{elf.Elf}\" serve --base \"{memory.Replace("%", "%%").Replace("$", "$$")}\"", text);
        AssertVerifies(unit);

        var again = await elf.RunAsync(["service", "install", "--base", memory], environment);
        Assert.Contains("is up to date", again.Stdout);
        Assert.Equal(text, File.ReadAllText(unit));

        var status = await elf.RunAsync(["service", "status", "--base", memory], environment);
        Assert.Equal(3, status.ExitCode);
        Assert.Contains($"unit:    {unit}", status.Stdout);

        var uninstall = await elf.RunAsync(["service", "uninstall", "--base", memory], environment);
        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.False(File.Exists(unit));
        var twice = await elf.RunAsync(["service", "uninstall", "--base", memory], environment);
        Assert.True(twice.ExitCode == 0, twice.ToString());
        Assert.Contains("no service is installed", twice.Stdout);
    }

    [Fact]
    public async Task With_a_user_manager_install_stops_the_auto_started_host_enables_and_starts_the_unit_and_is_idempotent()
    {
        await using var served = new ServedMemory(elf);
        var record = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "Before the service", "--domain", "service");
        Assert.True(record.ExitCode == 0, record.ToString());
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));

        // systemctl as a user manager answers it, recording each call; is-active says "inactive" until `start`.
        var bin = Directory.CreateDirectory(Path.Combine(_home.FullName, "stub-bin")).FullName;
        var calls = Path.Combine(_home.FullName, "systemctl.calls");
        var started = Path.Combine(_home.FullName, "started");
        File.WriteAllText(Path.Combine(bin, "systemctl"), $$"""
            #!/bin/bash
            echo "$*" >> '{{calls}}'
            case "$2" in
              is-active) [ -e '{{started}}' ] && { echo active; exit 0; }; echo inactive; exit 3 ;;
              start|restart) touch '{{started}}' ;;
              is-enabled) echo enabled ;;
            esac
            exit 0
            """.Replace("\r", ""));
        File.SetUnixFileMode(Path.Combine(bin, "systemctl"), (UnixFileMode)0x1ED);
        var environment = Environment(bin + ":" + System.Environment.GetEnvironmentVariable("PATH"), ownHome: false);

        var install = await elf.RunAsync(["service", "install", "--base", served.Base], environment);

        Assert.True(install.ExitCode == 0, install.ToString());
        var name = Path.GetFileName(Assert.Single(Directory.GetFiles(UnitFolder)));
        Assert.Equal(0, PublishedElf.HostProcesses(served.Base)); // the auto-started host was stopped, after committing
        Assert.Equal("", Tools.Git(served.Base, "status", "--porcelain", "memory"));
        var made = File.ReadAllLines(calls);
        Assert.Equal(["--user show-environment", "--user daemon-reload", "--user is-active --quiet " + name, "--user enable " + name, "--user start " + name],
            made.Where(c => !c.Contains("show-environment") || c == made[0]));

        File.Delete(calls);
        var again = await elf.RunAsync(["service", "install", "--base", served.Base], environment);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain(File.ReadAllLines(calls), c => c.Contains("restart"));
        var status = await elf.RunAsync(["service", "status", "--base", served.Base], environment);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("active:  active", status.Stdout);

        var uninstall = await elf.RunAsync(["service", "uninstall", "--base", served.Base], environment);
        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.Contains("--user disable --now " + name, File.ReadAllLines(calls));
        Assert.Empty(Directory.GetFiles(UnitFolder));
    }

    /// <summary>systemd's own verdict on the unit file (it also checks that ExecStart is an executable).</summary>
    private static void AssertVerifies(string unit)
    {
        if (Tools.Run("bash", "/", "-c", "command -v systemd-analyze") is not { ExitCode: 0 })
        {
            Console.WriteLine("systemd-analyze is not installed: the unit file's validation is skipped (the rest of the test ran)");
            return;
        }
        var runtime = Directory.CreateTempSubdirectory("elf-service-runtime-");
        try
        {
            var (code, stdout, stderr) = Tools.Run("env", "/", "XDG_RUNTIME_DIR=" + runtime.FullName, "systemd-analyze", "verify", "--user", unit);
            Assert.True(code == 0 && stderr.Trim().Length == 0, $"systemd-analyze verify --user {unit}: exit {code}\n{stdout}\n{stderr}\n{File.ReadAllText(unit)}");
        }
        finally
        {
            runtime.Delete(recursive: true);
        }
    }
}
