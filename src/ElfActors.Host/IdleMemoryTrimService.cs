using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Akka.Actor;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

/// <summary>
/// Gives memory back to the machine once nobody has asked the host anything for <c>elf.host.idle-trim</c> (0: never):
/// a compacting collection that returns the GC's free memory, the C heap's free pages (glibc's <c>malloc_trim</c>), and
/// the clean pages of the code and read-only files it maps (<c>MADV_PAGEOUT</c>; pages another process maps too are
/// left to it). Nothing is lost: the next request faults back what it touches, from the page cache or the disk.
/// Trims once per idle period: it sleeps until the period could have ended, then until the next request (ADR 0049).
/// Only in `elf-host serve`'s own process; an orchestrator that embeds ElfActors owns its process's memory.
/// </summary>
public sealed class IdleMemoryTrimService(ActorSystem system, IdleMonitor monitor, ILogger<IdleMemoryTrimService> log) : BackgroundService
{
    public const string Setting = "elf.host.idle-trim";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = IdleMonitor.Period(system, Setting, log, "this host does not give memory back when idle");
        if (period <= TimeSpan.Zero) return;
        try
        {
            while (true)
            {
                var idle = await monitor.WaitUntilIdleAsync(period, stoppingToken);
                // Asked for before the trim, so a request that ends during it wakes the loop at once.
                var nextRequest = monitor.NextRequestEnded(stoppingToken);
                var (before, after) = Trim();
                log.LogInformation("Idle for {Idle:0} s: resident memory {Before:0.0} → {After:0.0} MiB ({Setting})",
                    idle.TotalSeconds, before, after, Setting);
                await nextRequest;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Resident memory (MiB) before and after giving back what an idle process can.</summary>
    private static (double Before, double After) Trim()
    {
        var before = ResidentMiB();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            TrimCHeap();
            PageOutMappedFiles();
        }
        return (before, ResidentMiB());
    }

    private static void TrimCHeap()
    {
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): its heap is left as it is.
        }
    }

    /// <summary>
    /// Asks the kernel to reclaim the pages of every read-only file mapping (the runtime, the assemblies, the native
    /// libraries). Writable and anonymous mappings are left alone: their pages may hold data that exists nowhere else.
    /// </summary>
    private static void PageOutMappedFiles()
    {
        string[] maps;
        try
        {
            maps = File.ReadAllLines("/proc/self/maps");
        }
        catch (IOException)
        {
            return;
        }
        foreach (var line in maps)
        {
            // start-end perms offset dev inode path
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || fields[1].Contains('w') || !fields[5].StartsWith('/') || fields[5].EndsWith("(deleted)", StringComparison.Ordinal)) continue;
            var range = fields[0].Split('-');
            if (!ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end)) continue;
            // EINVAL on a kernel before 5.4 (no MADV_PAGEOUT) or a mapping it will not page out: nothing to do.
            _ = Madvise((nint)start, (nuint)(end - start), MadvPageOut);
        }
    }

    private static double ResidentMiB()
    {
        try
        {
            // /proc/self/statm: size resident shared text lib data dt, in pages.
            var resident = long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], CultureInfo.InvariantCulture);
            return resident * Environment.SystemPageSize / (1024.0 * 1024.0);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    private const int MadvPageOut = 21;

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
