using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ElfActors.Benchmarks;

/// <summary>Timing of whole processes, the way an agent pays for them.</summary>
internal static class Measure
{
    /// <summary>Wall time of a process that must succeed (a non-zero exit throws, with its stderr).</summary>
    public static async Task<double> ProcessAsync(string file, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var (exitCode, elapsed, stderr) = await RunAsync(file, arguments, workingDirectory);
        if (exitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {exitCode}: {stderr}");
        return elapsed;
    }

    /// <summary>The exit code of a process run to its end, its output drained.</summary>
    public static async Task<int> ExitCodeAsync(string file, IEnumerable<string> arguments) => (await RunAsync(file, arguments, null)).ExitCode;

    /// <summary>
    /// Waits until `elf status` answers for the memory that <paramref name="host"/> (an `elf serve`) was started for.
    /// A record sent before that would start a host of its own, without the settings <paramref name="host"/> was given.
    /// </summary>
    public static async Task WaitForHostAsync(string elf, string memory, Process host)
    {
        for (var attempt = 0; await ExitCodeAsync(elf, ["status", "--base", memory]) != 0; attempt++)
        {
            if (attempt > 300 || host.HasExited) throw new InvalidOperationException("elf serve did not start");
            await Task.Delay(100);
        }
    }

    /// <summary>A kB figure of /proc/&lt;pid&gt;/status (VmRSS, VmHWM, …); null once the process has exited.</summary>
    public static long? StatusKilobytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static async Task<(int ExitCode, double ElapsedMs, string Stderr)> RunAsync(string file, IEnumerable<string> arguments, string? workingDirectory)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await stdout;
        return (process.ExitCode, elapsed, await stderr);
    }

    /// <summary>
    /// One shell command line that runs <paramref name="file"/> with <paramref name="arguments"/>, each quoted for
    /// `bash -c`, as ELF's hooks and agents call a program.
    /// </summary>
    public static string CommandLine(string file, params IEnumerable<string> arguments) =>
        string.Join(' ', new[] { file }.Concat(arguments).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));

    /// <summary>`bash -c COMMANDLINE`: one shell per writer.</summary>
    public static (string File, string[] Arguments) Bash(string commandLine) => ("/bin/bash", ["-c", commandLine]);

    /// <summary>
    /// CPU time (user + system, ms) of every child this process has reaped so far (getrusage RUSAGE_CHILDREN, in
    /// microseconds): the difference around one child run to its end is that child's CPU and its descendants'.
    /// </summary>
    public static double ReapedChildrenCpuMs()
    {
        if (GetResourceUsage(RusageChildren, out var usage) != 0) throw new InvalidOperationException("getrusage failed: " + Marshal.GetLastPInvokeError());
        return (usage.UserSeconds + usage.SystemSeconds) * 1000.0 + (usage.UserMicroseconds + usage.SystemMicroseconds) / 1000.0;
    }

    private const int RusageChildren = -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetResourceUsage(int who, out ResourceUsage usage);

    /// <summary>Publishes src/ElfActors.Cli (native elf + elf-host) into <paramref name="output"/>.</summary>
    public static async Task<string> PublishAsync(string output)
    {
        Console.Error.WriteLine("Publishing src/ElfActors.Cli (native elf + elf-host)…");
        await ProcessAsync("dotnet", ["publish", "src/ElfActors.Cli", "-c", "Release", "-o", output, "--nologo", "-v", "q"], FindRepository());
        return output;
    }

    public static double Percentile(IReadOnlyList<double> values, double quantile)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "ElfActors.sln"))) return directory.FullName;
        throw new InvalidOperationException("cannot find ElfActors.sln above " + AppContext.BaseDirectory);
    }
}
