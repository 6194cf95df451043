using System.Text;

namespace ElfActors.Cli.Commands;

/// <summary>
/// The launchd agent of a memory's host (macOS), the counterpart of <see cref="SystemdUnit"/>: `elf serve` in the
/// foreground, started at log-in and when loaded (RunAtLoad), started again only when it fails (KeepAlive
/// SuccessfulExit false, as systemd's Restart=on-failure: `elf stop` and an upgrade's hand-over end it for good), given
/// 150 s to commit after SIGTERM (ExitTimeOut), with the PATH (for git) and DOTNET_ROOT (for elf-host) of the shell that
/// installed it, and its standard output and error in ~/Library/Logs/LABEL.log (what the host prints before its own log
/// in the state folder opens).
/// </summary>
internal static class LaunchdAgent
{
    public static string For(MemoryPaths paths, string elf, Func<string, string?> environment)
    {
        var plist = new StringBuilder();
        plist.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        plist.Append("<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n");
        plist.Append("<!-- Written by `elf service install`; `elf service uninstall` removes it (docs/install.md#service). -->\n");
        plist.Append("<plist version=\"1.0\">\n<dict>\n");
        Key(plist, "Label").Append("  <string>").Append(Xml(ServiceFiles.Name(ServiceManager.Launchd, paths))).Append("</string>\n");
        Key(plist, "ProgramArguments").Append("  <array>\n");
        foreach (var argument in new[] { elf, "serve", "--base", paths.BasePath })
            plist.Append("    <string>").Append(Xml(argument)).Append("</string>\n");
        plist.Append("  </array>\n");
        var variables = new[] { "PATH", "DOTNET_ROOT" }.Where(v => environment(v) is { Length: > 0 }).ToList();
        if (variables.Count > 0)
        {
            Key(plist, "EnvironmentVariables").Append("  <dict>\n");
            foreach (var variable in variables)
                plist.Append("    <key>").Append(variable).Append("</key>\n    <string>").Append(Xml(environment(variable)!)).Append("</string>\n");
            plist.Append("  </dict>\n");
        }
        Key(plist, "RunAtLoad").Append("  <true/>\n");
        Key(plist, "KeepAlive").Append("  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>\n");
        Key(plist, "ThrottleInterval").Append("  <integer>10</integer>\n");
        Key(plist, "ExitTimeOut").Append("  <integer>150</integer>\n");
        var log = Xml(ServiceFiles.LaunchdLog(paths, environment));
        Key(plist, "StandardOutPath").Append("  <string>").Append(log).Append("</string>\n");
        Key(plist, "StandardErrorPath").Append("  <string>").Append(log).Append("</string>\n");
        plist.Append("</dict>\n</plist>\n");
        return plist.ToString();
    }

    private static StringBuilder Key(StringBuilder plist, string key) => plist.Append("  <key>").Append(key).Append("</key>\n");

    /// <summary>Text as XML character data: &amp;, &lt; and &gt; escaped (quotes need none outside attributes).</summary>
    private static string Xml(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
