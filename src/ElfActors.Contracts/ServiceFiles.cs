namespace ElfActors.Contracts;

/// <summary>The service managers `elf service` writes for (docs/install.md#service).</summary>
public enum ServiceManager
{
    /// <summary>A systemd user unit (Linux).</summary>
    Systemd,

    /// <summary>A launchd agent of the user's (macOS).</summary>
    Launchd,
}

/// <summary>
/// Where `elf service` puts a memory's unit or agent and what it is called: named by the memory's key (its folder's
/// identity, as the socket is), so that `elf service` and `elf doctor` find the same file.
/// </summary>
public static class ServiceFiles
{
    /// <summary>The manager of this operating system: systemd on Linux, launchd on macOS, none elsewhere.</summary>
    public static ServiceManager? OfThisSystem =>
        OperatingSystem.IsLinux() ? ServiceManager.Systemd : OperatingSystem.IsMacOS() ? ServiceManager.Launchd : null;

    /// <summary>The systemd unit's name (elf-host-&lt;key&gt;.service) or the launchd agent's label (com.elfactors.host.&lt;key&gt;).</summary>
    public static string Name(ServiceManager manager, MemoryPaths paths) => manager switch
    {
        ServiceManager.Systemd => $"elf-host-{HostAddress.Key(paths)}.service",
        _ => $"com.elfactors.host.{HostAddress.Key(paths)}",
    };

    /// <summary>
    /// systemd: $XDG_CONFIG_HOME/systemd/user/NAME (by default ~/.config/systemd/user); launchd:
    /// ~/Library/LaunchAgents/LABEL.plist.
    /// </summary>
    public static string FilePath(ServiceManager manager, MemoryPaths paths, Func<string, string?> environment) => manager switch
    {
        ServiceManager.Systemd => Path.Combine(ConfigHome(environment), "systemd", "user", Name(manager, paths)),
        _ => Path.Combine(Home(environment), "Library", "LaunchAgents", Name(manager, paths) + ".plist"),
    };

    /// <summary>The file the launchd agent's standard output and error go to: ~/Library/Logs/LABEL.log.</summary>
    public static string LaunchdLog(MemoryPaths paths, Func<string, string?> environment) =>
        Path.Combine(Home(environment), "Library", "Logs", Name(ServiceManager.Launchd, paths) + ".log");

    private static string ConfigHome(Func<string, string?> environment) =>
        environment("XDG_CONFIG_HOME") is { Length: > 0 } config && Path.IsPathRooted(config) ? config : Path.Combine(Home(environment), ".config");

    private static string Home(Func<string, string?> environment) =>
        environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
}
