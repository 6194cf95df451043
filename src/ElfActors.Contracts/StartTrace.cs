using System.Diagnostics;
using System.Globalization;

namespace ElfActors.Contracts;

/// <summary>
/// Where a host's start goes (docs/adr/0043, 0053): with <c>$ELF_START_TRACE</c> naming a file, each
/// <see cref="Mark"/> appends one line to it: the phase, the time since the process started, the process's CPU
/// (user+sys) and the methods JIT-compiled so far. Without the variable a mark costs one static field read.
/// </summary>
public static class StartTrace
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
            $"{Environment.ProcessId} {sinceStart.TotalMilliseconds,8:0.0} ms  cpu {cpu.TotalMilliseconds,7:0} ms  jit {System.Runtime.JitInfo.GetCompiledMethodCount(),6}  jit-time {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,6:0} ms  [{Environment.CurrentManagedThreadId,2}] {phase}\n");
        lock (Gate) System.IO.File.AppendAllText(File, line);
    }
}
