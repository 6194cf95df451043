using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ElfActors.Cli;

/// <summary>Finds elf-host beside elf, hands this process over to it, or starts it in the background.</summary>
internal static partial class HostProcess
{
    public static string Executable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "elf-host.exe" : "elf-host");

    public static bool Exists(out string message)
    {
        message = $"elf-host was not found beside elf ({Executable}); build or publish src/ElfActors.Cli, which puts both in one folder";
        return File.Exists(Executable);
    }

    /// <summary>
    /// Replaces this process with elf-host (same pid, same stdio), so that signals sent to `elf serve` reach
    /// the host directly. Falls back to running it as a child where exec is not available.
    /// </summary>
    public static int Exec(IReadOnlyList<string> arguments)
    {
        if (!OperatingSystem.IsWindows())
        {
            var argv = new IntPtr[arguments.Count + 2];
            argv[0] = Marshal.StringToCoTaskMemUTF8(Executable);
            for (var i = 0; i < arguments.Count; i++) argv[i + 1] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            Console.Out.Flush();
            Console.Error.Flush();
            execv(Executable, argv); // returns only on failure
            Console.Error.WriteLine($"elf: could not start {Executable} (errno {Marshal.GetLastPInvokeError()})");
            return ExitCodes.Failure;
        }
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var child = Process.Start(start)!;
        child.WaitForExit();
        return child.ExitCode;
    }

    /// <summary>
    /// Starts `elf-host serve` for a memory, detached from this process (its own session, no stdio shared
    /// with the caller, output appended to memory/.elf/host.log). Returns its pid, or null if unknown.
    /// </summary>
    public static int? StartInBackground(MemoryPaths paths)
    {
        var log = HostAddress.LogFile(paths);
        if (OperatingSystem.IsWindows())
        {
            var windows = new ProcessStartInfo(Executable) { UseShellExecute = false, CreateNoWindow = true };
            windows.ArgumentList.Add("serve");
            windows.ArgumentList.Add("--base");
            windows.ArgumentList.Add(paths.BasePath);
            windows.ArgumentList.Add("--auto-started");
            return Process.Start(windows)?.Id;
        }
        // The shell redirects before elf-host starts: the host never holds the caller's pipes open
        // (a caller reading `$(elf record-failure …)` would otherwise wait for the host to exit).
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid " : File.Exists("/bin/setsid") ? "/bin/setsid " : string.Empty;
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(setsid + "\"$0\" serve --base \"$1\" --auto-started </dev/null >>\"$2\" 2>&1 & echo $!");
        start.ArgumentList.Add(Executable);
        start.ArgumentList.Add(paths.BasePath);
        start.ArgumentList.Add(log);
        using var shell = Process.Start(start)!;
        shell.StandardInput.Close();
        var pid = shell.StandardOutput.ReadToEnd().Trim();
        shell.WaitForExit();
        return int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    public static bool IsAlive(int pid)
    {
        if (!OperatingSystem.IsWindows()) return Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)) && !IsZombie(pid);
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var afterName = stat.LastIndexOf(')');
            return afterName > 0 && afterName + 2 < stat.Length && stat[afterName + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Asks a process to stop (SIGTERM; the host drains and exits as on Ctrl-C).</summary>
    public static bool Terminate(int pid)
    {
        if (!OperatingSystem.IsWindows()) return kill(pid, 15) == 0;
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execv(string path, IntPtr[] argv);
}
