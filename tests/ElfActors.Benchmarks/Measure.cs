using System.Diagnostics;
using System.Globalization;

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
