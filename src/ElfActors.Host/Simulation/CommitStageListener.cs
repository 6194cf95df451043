using System.Diagnostics.Metrics;
using ElfActors.Actors;

namespace ElfActors.Host.Simulation;

/// <summary>
/// Collects the committer's <see cref="ElfMetrics.CommitStage"/> and <see cref="ElfMetrics.BatchSize"/> while the
/// measured records run (docs/performance.md#where-a-batch-goes): where a batch's time went, summed per stage.
/// </summary>
internal sealed class CommitStageListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, List<double>> _stages = new(StringComparer.Ordinal);
    private readonly List<int> _batches = [];
    // Every measurement in the order it came, for --stage-timeline: ms since Begin, stage (or "batch-size"), value.
    private readonly List<(double AtMs, string Stage, double Value)> _timeline = [];
    private long _begun;
    private volatile bool _collecting;

    public CommitStageListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ElfMetrics.MeterName && instrument.Name is "elf.commit.stage" or "elf.commit.batch_size")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, ms, tags, _) =>
        {
            if (!_collecting) return;
            foreach (var tag in tags)
            {
                if (tag.Key != "stage" || tag.Value is not string stage) continue;
                lock (_gate)
                {
                    if (!_stages.TryGetValue(stage, out var list)) _stages[stage] = list = [];
                    list.Add(ms);
                    _timeline.Add((SinceBegun(), stage, ms));
                }
            }
        });
        _listener.SetMeasurementEventCallback<int>((_, size, _, _) =>
        {
            if (!_collecting) return;
            lock (_gate)
            {
                _batches.Add(size);
                _timeline.Add((SinceBegun(), "batch-size", size));
            }
        });
        _listener.Start();
    }

    /// <summary>Counts from now on (the warm-up's batches are left out).</summary>
    public void Begin()
    {
        _begun = System.Diagnostics.Stopwatch.GetTimestamp();
        _collecting = true;
    }

    private double SinceBegun() => Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(_begun).TotalMilliseconds, 1);

    /// <summary>Every stage measurement and batch size of the measured records, one CSV line each (ms since they began, stage, value).</summary>
    public void WriteTimeline(TextWriter writer)
    {
        lock (_gate)
        {
            writer.WriteLine("at_ms,stage,value");
            foreach (var (at, stage, value) in _timeline)
                writer.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{at},{stage},{Math.Round(value, 2)}"));
        }
    }

    /// <summary>Stops counting; what was counted stays.</summary>
    public void End() => _collecting = false;

    /// <summary>Per stage, in the order stages first appeared: batches, mean, p50, p90, max and total milliseconds.</summary>
    public IReadOnlyList<CommitStageSummary> Summary()
    {
        lock (_gate)
        {
            return _stages.Select(s => new CommitStageSummary(s.Key, s.Value.Count, Math.Round(s.Value.Average(), 2),
                Simulator.Percentile([.. s.Value], 0.5), Simulator.Percentile([.. s.Value], 0.9), Math.Round(s.Value.Max(), 2), Math.Round(s.Value.Sum(), 1))).ToList();
        }
    }

    /// <summary>Records per commit: mean and largest (0 with no commit).</summary>
    public (double Mean, int Max) Batches()
    {
        lock (_gate) return _batches.Count == 0 ? (0, 0) : (Math.Round(_batches.Average(), 1), _batches.Max());
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>One stage of the committer's batches during a simulation (milliseconds).</summary>
public sealed record CommitStageSummary(string Stage, int Batches, double MeanMs, double P50Ms, double P90Ms, double MaxMs, double TotalMs);
