using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace ElfActors.Host.Simulation;

/// <summary>
/// The runtime's own GC events while the measured records run (docs/adr/0071): each pause (the runtime suspending
/// every managed thread, <c>GCSuspendEEBegin</c>, to resuming them, <c>GCRestartEEEnd</c>) with the generation of the
/// collection inside it, on the Stopwatch clock the records' latencies use. So a simulation can say how much of a
/// record's commit latency was the process standing still, not only how long it stood still in all.
/// </summary>
internal sealed class GcPauseListener : EventListener
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    // Event ids of the runtime's GC events at Informational level (ClrEtwAll.man).
    private const int GcStart = 1, GcRestartEeEnd = 3, GcSuspendEeBegin = 9;

    private readonly object _gate = new();
    private readonly List<GcPause> _pauses = [];
    // The events carry a DateTime; the records' latencies are Stopwatch ticks: one pair of readings maps one to the other.
    private readonly long _stopwatchAtStart = Stopwatch.GetTimestamp();
    private readonly DateTime _utcAtStart = DateTime.UtcNow;
    private long? _suspendedAt;
    private int _generation = -1;
    private int _reason = -1;
    // The window pauses are recorded in (Stopwatch ticks), by when they began: the runtime hands its events over on a
    // thread of its own a moment later, so a collection made before Begin may still arrive after it.
    private long _from = long.MaxValue, _to = long.MaxValue;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == RuntimeProvider) EnableEvents(source, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        var at = _stopwatchAtStart + (long)((e.TimeStamp.ToUniversalTime() - _utcAtStart).TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            switch (e.EventId)
            {
                case GcSuspendEeBegin:
                    if (at < Interlocked.Read(ref _from) || at > Interlocked.Read(ref _to)) break;
                    _suspendedAt = at;
                    _generation = -1;
                    _reason = -1;
                    break;
                case GcStart when _suspendedAt is not null && e.Payload is { Count: > 2 } payload && payload[1] is uint depth:
                    _generation = (int)depth;
                    _reason = payload[2] is uint reason ? (int)reason : -1;
                    break;
                case GcRestartEeEnd when _suspendedAt is { } from:
                    // A suspension without a collection (the runtime suspends for other reasons too) is left out.
                    if (_generation >= 0) _pauses.Add(new GcPause(from, Math.Max(from, at), _generation, _reason));
                    _suspendedAt = null;
                    break;
            }
        }
    }

    /// <summary>Records the pauses that begin from now on.</summary>
    public void Begin() => Interlocked.Exchange(ref _from, Stopwatch.GetTimestamp());

    /// <summary>Records no pause that begins after now; what was recorded stays (one whose events are still on their way is lost).</summary>
    public void End() => Interlocked.Exchange(ref _to, Stopwatch.GetTimestamp());

    public IReadOnlyList<GcPause> Pauses()
    {
        lock (_gate) return [.. _pauses];
    }

    /// <summary>Milliseconds of pause inside [<paramref name="from"/>, <paramref name="to"/>] (Stopwatch ticks).</summary>
    public static double PausedWithin(IReadOnlyList<GcPause> pauses, long from, long to)
    {
        long paused = 0;
        foreach (var pause in pauses)
        {
            var start = Math.Max(pause.Start, from);
            var end = Math.Min(pause.End, to);
            if (end > start) paused += end - start;
        }
        return paused * 1000.0 / Stopwatch.Frequency;
    }
}

/// <summary>One garbage collection's pause: Stopwatch ticks, the generation collected and why (the runtime's GCStart reason).</summary>
internal readonly record struct GcPause(long Start, long End, int Generation, int Reason = -1)
{
    public double Milliseconds => (End - Start) * 1000.0 / Stopwatch.Frequency;

    /// <summary>The reason's name in the runtime's GC event manifest (ClrEtwAll.man, GCReason).</summary>
    public string ReasonName => Reason switch
    {
        0 => "AllocSmall", 1 => "Induced", 2 => "LowMemory", 3 => "Empty", 4 => "AllocLarge", 5 => "OutOfSpaceSOH",
        6 => "OutOfSpaceLOH", 7 => "InducedNotForced", 8 => "Internal", 9 => "InducedLowMemory", 10 => "InducedCompacting",
        11 => "LowMemoryHost", 12 => "PMFullGC", 13 => "LowMemoryHostBlocking",
        _ => "unknown",
    };
}
