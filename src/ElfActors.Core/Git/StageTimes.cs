using System.Diagnostics;

namespace ElfActors.Core.Git;

/// <summary>
/// Where one batch's commit spent its time, stage by stage: laps of one monotonic clock, kept until the next batch
/// (a list of a dozen entries, reused). The committer reports them as <c>elf.commit.stage</c> and
/// <c>elf-host simulate --json</c> sums them (docs/performance.md#where-a-batch-goes).
/// </summary>
public sealed class StageTimes
{
    private readonly List<(string Stage, double Ms)> _laps = [];
    private long _lap = Stopwatch.GetTimestamp();

    /// <summary>The laps since the last <see cref="Restart"/>, in order (a stage may appear more than once).</summary>
    public IReadOnlyList<(string Stage, double Ms)> Laps => _laps;

    /// <summary>Forgets the laps and starts timing from now.</summary>
    public void Restart()
    {
        _laps.Clear();
        _lap = Stopwatch.GetTimestamp();
    }

    /// <summary>Ends a stage: the time since the previous lap (or <see cref="Restart"/>) is <paramref name="stage"/>'s.</summary>
    public void Lap(string stage)
    {
        var now = Stopwatch.GetTimestamp();
        _laps.Add((stage, Stopwatch.GetElapsedTime(_lap, now).TotalMilliseconds));
        _lap = now;
    }
}
