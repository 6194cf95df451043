using System.Text;

namespace ElfActors.Cli.Commands;

/// <summary>The systemd user unit of a memory's host: what it says (<see cref="ServiceFiles"/> says where it goes).</summary>
internal static class SystemdUnit
{
    /// <summary>
    /// The unit: `elf serve` in the foreground (no idle exit), restarted if it fails, stopped with SIGTERM (the graceful stop,
    /// given two minutes to commit), with the PATH (for git) and DOTNET_ROOT (for elf-host) of the shell that installed it.
    /// </summary>
    public static string For(MemoryPaths paths, string elf, Func<string, string?> environment)
    {
        var unit = new StringBuilder();
        unit.Append("# Written by `elf service install`; `elf service uninstall` removes it (docs/install.md#service).\n");
        unit.Append("[Unit]\n");
        unit.Append("Description=ElfActors host for ").Append(Escape(paths.BasePath)).Append('\n');
        unit.Append("\n[Service]\n");
        unit.Append("Type=simple\n");
        unit.Append("ExecStart=").Append(Quote(elf, command: true)).Append(" serve --base ").Append(Quote(paths.BasePath, command: true)).Append('\n');
        foreach (var variable in new[] { "PATH", "DOTNET_ROOT" })
            if (environment(variable) is { Length: > 0 } value)
                unit.Append("Environment=").Append(Quote(variable + "=" + value, command: false)).Append('\n');
        unit.Append("Restart=on-failure\n");
        unit.Append("RestartSec=10\n");
        unit.Append("KillSignal=SIGTERM\n");
        unit.Append("TimeoutStopSec=150\n");
        unit.Append("\n[Install]\n");
        unit.Append("WantedBy=default.target\n");
        return unit.ToString();
    }

    /// <summary>systemd's specifiers start with '%': a literal one is written '%%'.</summary>
    private static string Escape(string text) => text.Replace("%", "%%", StringComparison.Ordinal);

    /// <summary>
    /// One double-quoted word of a unit: \" and \\ escaped, '%' doubled; in a command line also '$' (which systemd expands
    /// there, and not in Environment=).
    /// </summary>
    public static string Quote(string word, bool command)
    {
        var quoted = Escape(word).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return "\"" + (command ? quoted.Replace("$", "$$", StringComparison.Ordinal) : quoted) + "\"";
    }
}
