using System.Diagnostics;
using System.Globalization;

namespace ElfActors.Contracts;

/// <summary>
/// Where a host's start goes (docs/adr/0043, 0053): with <c>$ELF_START_TRACE</c> naming a file, each
/// <see cref="Mark"/> appends one line to it: the phase, the time since the process started, the process's CPU
/// (user+sys), the calling thread's CPU (what this thread has run: the phases of one thread subtract to its own work,
/// whatever the other threads did meanwhile) and the methods JIT-compiled so far. Without the variable a mark costs one
/// static field read.
/// </summary>
public static partial class StartTrace
{
    /// <summary>The environment variable naming the trace file.</summary>
    public const string Variable = "ELF_START_TRACE";

    private static readonly string? File = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } file ? file : null;
    private static readonly Lock Gate = new();

    public static void Mark(string phase)
    {
        if (File is null) return;
        var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
        var cpu = Environment.CpuUsage.TotalTime;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessId} {sinceStart.TotalMilliseconds,8:0.0} ms  cpu {cpu.TotalMilliseconds,7:0} ms  thread-cpu {ThreadCpuMilliseconds(),6:0.0} ms  jit {System.Runtime.JitInfo.GetCompiledMethodCount(),6}  jit-time {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,6:0} ms  [{Environment.CurrentManagedThreadId,2}] {phase}\n");
        lock (Gate) System.IO.File.AppendAllText(File, line);
    }

    /// <summary>The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), or NaN where that clock is not available.</summary>
    private static double ThreadCpuMilliseconds()
    {
        if (OperatingSystem.IsWindows()) return double.NaN;
        var threadCpuClock = OperatingSystem.IsMacOS() ? 16 : 3; // CLOCK_THREAD_CPUTIME_ID
        Span<long> time = stackalloc long[2]; // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit systems
        return clock_gettime(threadCpuClock, ref time[0]) == 0 ? time[0] * 1e3 + time[1] / 1e6 : double.NaN;
    }

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int clock_gettime(int clock, ref long timespec);
}
