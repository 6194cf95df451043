using System.Diagnostics;
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
/// Trims once per idle period: it sleeps until the period could have ended, then until the next request; the period
/// grows while the host is used again soon after its trims (<see cref="IdleTrimSchedule"/>; ADR 0049, ADR 0059,
/// ADR 0063).
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = IdleMonitor.Period(system, Setting, log, "this host does not give memory back when idle");
        if (period <= TimeSpan.Zero) return Task.CompletedTask;
        var schedule = new IdleTrimSchedule(period, IdleMonitor.Period(system, IdleTrimSchedule.LongestSetting, log, "the wait between trims does not grow"));
        // A thread of its own, blocked while it waits: the loop is plain calls and waits, no async state machine and no
        // Task.Delay, whose generic instantiations over this assembly's types are not in the ReadyToRun image: the JIT
        // compiled them the first time the loop woke, in the idle host's first minute (ADR 0068).
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(schedule, stoppingToken);
                stopped.TrySetResult();
            }
            catch (Exception e)
            {
                stopped.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = ThreadName,
        };
        thread.Start();
        return stopped.Task;
    }

    /// <summary>The trim loop's thread (its first 15 characters are what /proc/PID/task/*/comm shows).</summary>
    internal const string ThreadName = "elf idle trim";

    private void Run(IdleTrimSchedule schedule, CancellationToken stoppingToken)
    {
        // [0]: the next request ended; [1]: the host is stopping.
        var waits = new WaitHandle[2];
        waits[1] = stoppingToken.WaitHandle;
        while (monitor.WaitUntilIdle(schedule.Wait, stoppingToken, out var idle))
        {
            // Armed before the trim, so a request that ends during it wakes the loop at once.
            waits[0] = monitor.NextRequestEnded();
            var earlier = MappedImageTrim.Supported ? MappedImageTrim.ReadMaps() : [];
            var woken = WaitHandle.WaitAny(waits, MappingsSettle);
            if (woken == 1) return;
            if (woken == 0) continue; // used again: wait for the next idle period
            var trim = Trim(earlier);
            var trimmed = Stopwatch.GetTimestamp();
            if (log.IsEnabled(LogLevel.Information))
                log.LogInformation("Idle for {Idle:0} s: resident memory {Before:0.0} → {After:0.0} MiB ({Setting}: {Images} image mappings, {ImagesMiB:0.0} MiB unmapped; {Cpu:0.0} ms of CPU: collection {Collection:0.0} ({AllocatedKib} KiB allocated since the last trim), finalizers {Finalizers:0.0}, reading the mappings {Reading:0.0}, advice {Advice:0.0}; before it {Gen0} collections, {Gen2} of them full, {Paused:0.0} ms paused in all)",
                    (idle + MappingsSettle).TotalSeconds, trim.BeforeMiB, trim.AfterMiB, Setting, trim.ImageMappings, trim.ImagesKib / 1024.0, trim.CpuMilliseconds,
                    trim.CollectionMs, trim.AllocatedKib, trim.FinalizersMs, trim.ReadingMs, trim.AdviceMs, trim.Gen0Before, trim.Gen2Before, trim.PausedMsBefore);
            if (WaitHandle.WaitAny(waits) == 1) return;
            schedule.UsedAgain(Stopwatch.GetElapsedTime(trimmed));
        }
    }

    internal readonly record struct TrimResult(
        double BeforeMiB, double AfterMiB, int ImageMappings, long ImagesKib, long AllocatedKib, bool Collected,
        double CollectionMs, double FinalizersMs, double ReadingMs, double AdviceMs, int Gen0Before, int Gen2Before, double PausedMsBefore)
    {
        public double CpuMilliseconds => CollectionMs + FinalizersMs + ReadingMs + AdviceMs;
    }

    /// <summary>
    /// Below this much allocated since the last trim the collection is skipped (ADR 0063): it costs about 10 ms of CPU
    /// whatever the garbage (it marks every live object), and at most this much garbage stays resident until the next.
    /// </summary>
    internal const long CollectionThresholdBytes = 4L * 1024 * 1024;

    private static long _allocatedAtLastTrim = -1;

    /// <summary>Whether a trim collects: always the first time, then once at least <see cref="CollectionThresholdBytes"/>
    /// were allocated since the last trim (-1: none yet).</summary>
    internal static bool ShouldCollect(long allocatedNow, long allocatedAtLastTrim) =>
        allocatedAtLastTrim < 0 || allocatedNow - allocatedAtLastTrim >= CollectionThresholdBytes;

    /// <summary>
    /// Gives back what an idle process can: a compacting collection that returns the GC's free regions (when enough was
    /// allocated since the last trim, <see cref="ShouldCollect"/>), the finalizers it queued run to their end, the C
    /// heap's free pages (after the mappings are read), then the page-table entries of the loaded images' clean pages (<see cref="MappedImageTrim"/>),
    /// last, so that the collection's, the finalizers' and the reading's own work does not touch them again.
    /// <paramref name="earlier"/> is a reading of /proc/self/maps taken at least <see cref="MappingsSettle"/> before.
    /// </summary>
    internal static TrimResult Trim(ProcessMapping[] earlier)
    {
        var before = ResidentMiB();
        // The collections so far and their pauses, for the log: how much of the host's garbage the trim's collection finds
        // unpromoted (ADR 0068).
        var gen0Before = GC.CollectionCount(0);
        var gen2Before = GC.CollectionCount(2);
        var pausedBefore = GC.GetTotalPauseDuration().TotalMilliseconds;
        var t0 = ThreadCpuNs();
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var since = _allocatedAtLastTrim < 0 ? allocated : allocated - _allocatedAtLastTrim;
        var collected = ShouldCollect(allocated, _allocatedAtLastTrim);
        if (collected)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        var t1 = ThreadCpuNs();
        // The finalizer thread's work (and what it compiles) happens now, before the advice, not right after it.
        if (collected) GC.WaitForPendingFinalizers();
        var t2 = ThreadCpuNs();
        var images = 0;
        long imagesKib = 0;
        var t3 = t2;
        if (MappedImageTrim.Supported)
        {
            var candidates = MappedImageTrim.Candidates(MappedImageTrim.ReadMaps(), earlier);
            var droppable = MappedImageTrim.Droppable(MappedImageTrim.CountPages(candidates), earlier);
            // The C heap after the readings, not before: their native buffers (1 MiB for maps, 256 KiB for pagemap, and
            // the earlier reading's), freed, otherwise stay in this thread's own malloc arena, about 2 MiB (ADR 0068).
            TrimCHeap();
            t3 = ThreadCpuNs();
            images = droppable.Length;
            imagesKib = MappedImageTrim.Drop(droppable);
        }
        var t4 = ThreadCpuNs();
        _allocatedAtLastTrim = GC.GetTotalAllocatedBytes(precise: false);
        return new TrimResult(before, ResidentMiB(), images, imagesKib, since / 1024, collected,
            (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6, gen0Before, gen2Before, pausedBefore);
    }

    /// <summary>This thread's CPU time in ns (clock_gettime(CLOCK_THREAD_CPUTIME_ID)); 0 where it cannot be read.</summary>
    private static unsafe long ThreadCpuNs()
    {
        if (!MappedImageTrim.Supported) return 0;
        long* time = stackalloc long[2];
        return ClockGetTime(ClockThreadCpuTime, time) == 0 ? time[0] * 1_000_000_000 + time[1] : 0;
    }

    private const int ClockThreadCpuTime = 3;

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern unsafe int ClockGetTime(int clock, long* time);

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

    /// <summary>This process's resident memory (/proc/self/statm's second field, in pages); NaN where it cannot be read.
    /// Read with libc's calls into native memory, no string: the trim's code is precompiled (ADR 0068).</summary>
    private static unsafe double ResidentMiB()
    {
        if (!MappedImageTrim.Supported) return double.NaN;
        nuint capacity = 256;
        var buffer = (byte*)NativeMemory.Alloc(capacity);
        try
        {
            var length = MappedImageTrim.ReadAll("/proc/self/statm\0"u8, ref buffer, ref capacity);
            // size resident shared text lib data dt
            long i = 0;
            while (i < length && buffer[i] != (byte)' ') i++;
            i++;
            long pages = 0;
            var digits = 0;
            for (; i < length && buffer[i] is >= (byte)'0' and <= (byte)'9'; i++, digits++) pages = pages * 10 + (buffer[i] - '0');
            return digits == 0 ? double.NaN : pages * Environment.SystemPageSize / (1024.0 * 1024.0);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
