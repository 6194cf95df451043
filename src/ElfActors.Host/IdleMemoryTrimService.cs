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
/// this process's mappings of its loaded images' clean pages (<c>MADV_DONTNEED</c>, <see cref="MappedImageTrim"/>: the
/// pages stay in the page cache). Nothing is lost: the next request faults back what it touches, from the page cache.
/// Trims once per idle period: it sleeps until the period could have ended, then until the next request (ADR 0049,
/// ADR 0059).
/// Only in `elf-host serve`'s own process; an orchestrator that embeds ElfActors owns its process's memory.
/// </summary>
public sealed class IdleMemoryTrimService(ActorSystem system, IdleMonitor monitor, ILogger<IdleMemoryTrimService> log) : BackgroundService
{
    public const string Setting = "elf.host.idle-trim";

    /// <summary>
    /// How long the mappings must have stayed the same before their pages are dropped: an image loaded just then (mapped,
    /// then made writable for its relocations) is left to a later trim (<see cref="MappedImageTrim"/>).
    /// </summary>
    internal static readonly TimeSpan MappingsSettle = TimeSpan.FromSeconds(1);

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
                var earlier = MappedImageTrim.Supported ? MappedImageTrim.ReadMaps() : [];
                await Task.WhenAny(nextRequest, Task.Delay(MappingsSettle, stoppingToken));
                stoppingToken.ThrowIfCancellationRequested();
                if (nextRequest.IsCompleted) continue; // used again: wait for the next idle period
                var trim = Trim(earlier);
                log.LogInformation("Idle for {Idle:0} s: resident memory {Before:0.0} → {After:0.0} MiB ({Setting}: {Images} image mappings, {ImagesMiB:0.0} MiB unmapped; {Cpu:0.0} ms of CPU)",
                    (idle + MappingsSettle).TotalSeconds, trim.BeforeMiB, trim.AfterMiB, Setting, trim.ImageMappings, trim.ImagesKib / 1024.0, trim.CpuMilliseconds);
                await nextRequest;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal readonly record struct TrimResult(double BeforeMiB, double AfterMiB, int ImageMappings, long ImagesKib, double CpuMilliseconds);

    /// <summary>
    /// Gives back what an idle process can: a compacting collection that returns the GC's free regions, the C heap's
    /// free pages, then the page-table entries of the loaded images' clean pages (<see cref="MappedImageTrim"/>), last, so
    /// that the collection's and the reading's own work does not touch them again. <paramref name="earlier"/> is a
    /// reading of /proc/self/maps taken at least <see cref="MappingsSettle"/> before.
    /// </summary>
    internal static TrimResult Trim(ProcessMapping[] earlier)
    {
        var cpu = ThreadCpu();
        var before = ResidentMiB();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var images = 0;
        long imagesKib = 0;
        if (MappedImageTrim.Supported)
        {
            TrimCHeap();
            var droppable = MappedImageTrim.Droppable(MappedImageTrim.ReadSmaps(), earlier);
            images = droppable.Length;
            imagesKib = MappedImageTrim.Drop(droppable);
        }
        return new TrimResult(before, ResidentMiB(), images, imagesKib, (ThreadCpu() - cpu) / 1e6);
    }

    /// <summary>This thread's CPU time in ns (/proc/thread-self/schedstat's first field); 0 where it cannot be read.</summary>
    private static long ThreadCpu()
    {
        try
        {
            var text = File.ReadAllText("/proc/thread-self/schedstat");
            return long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return 0;
        }
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

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
