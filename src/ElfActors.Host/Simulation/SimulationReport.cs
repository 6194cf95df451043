namespace ElfActors.Host.Simulation;

/// <summary>
/// One generation's collections during a simulation: how many, their pauses' total, median and longest (ms), and why
/// they were made ("AllocSmall: 3", "AllocLarge: 1": the runtime's reason and how many).
/// </summary>
public sealed record GcPauseSummary(int Generation, int Count, double TotalMs, double P50Ms, double MaxMs, IReadOnlyList<string> Reasons);

/// <summary>The seed note's table, measured. Rates are percentages (0–100); latencies in milliseconds.</summary>
public sealed record SimulationReport
{
    public required string BasePath { get; init; }
    public required int Writers { get; init; }
    /// <summary>Records per second offered (open loop); 0 for a burst.</summary>
    public double OfferedRate { get; init; }
    /// <summary>Records sent and committed before the measured ones (not in any figure here).</summary>
    public int WarmUp { get; init; }
    /// <summary>
    /// Rounds of 250 records (with a pause each) sent after the warm-up until three in a row left the tier-up JIT nothing to compile,
    /// and whether one did (at most 20 rounds): the measured records meet a host in its steady state (docs/adr/0077).
    /// </summary>
    public int WarmUpJitRounds { get; init; }
    public bool WarmUpJitSettled { get; init; }
    /// <summary>The JIT's time (all threads, the tier-up's included) and the methods it compiled during the measured run.</summary>
    public double JitMsDuringRun { get; init; }
    public long JitMethodsDuringRun { get; init; }
    public required int Acknowledged { get; init; }
    public required int Rejected { get; init; }
    public required int Failed { get; init; }
    public required double SuccessRate { get; init; }
    public required int DbRows { get; init; }
    public required int Files { get; init; }
    public required int RecordsInGit { get; init; }
    public required int RecordsNotInGit { get; init; }
    public required int RecordsInSeveralCommits { get; init; }
    public required int Commits { get; init; }
    public required double StateConsistency { get; init; }
    public required double GitConsistency { get; init; }
    public required bool WorkingTreeClean { get; init; }
    public required double AckP50Ms { get; init; }
    public required double AckP99Ms { get; init; }
    public required double CommitP50Ms { get; init; }
    public required double CommitP99Ms { get; init; }
    /// <summary>
    /// From a record's acknowledgement to its commit being announced: the committer's share of <see cref="CommitP99Ms"/>
    /// without the acknowledgement's (which, on a machine short of CPU, is most of it). Records whose commit was announced
    /// before their acknowledgement reached the caller count as 0.
    /// </summary>
    public double CommitAfterAckP50Ms { get; init; }
    public double CommitAfterAckP99Ms { get; init; }
    public required double WallSeconds { get; init; }
    public required double RecordsPerSecond { get; init; }
    /// <summary>
    /// Records committed per second between 10 % and 90 % of the run: the rate it keeps up once started and before the
    /// last batches drain (a run's first and last commits are transients, and counting the drain in the wall time puts a
    /// system that keeps up with 5,000/s at 4,850/s). Measured between the mean of the window's first tenth of commits and
    /// the mean of its last tenth (time and records committed so far), so that no single commit's time at an edge
    /// decides it; never more than the rate the records were sent at, nor more than the higher of the two exact readings
    /// of the run (between the window's edge commits, <see cref="SteadyRecordsPerSecondBetweenEdgeCommits"/>; over its
    /// wall time, <see cref="RecordsPerSecond"/>) (docs/adr/0081). Null with fewer than two commits there.
    /// </summary>
    public double? SteadyRecordsPerSecond { get; init; }
    /// <summary>
    /// The same rate as it was estimated before ADR 0081: the records of the commits after the first at 10 % of the run up
    /// to the last at 90 %, over the time between those two commits (one late or early commit at an edge moves it by up to
    /// a batch's worth). Reported beside it for comparison.
    /// </summary>
    public double? SteadyRecordsPerSecondBetweenEdgeCommits { get; init; }
    public required bool AllCommittedInTime { get; init; }
    /// <summary>Garbage collections during the run (gen 0, 1, 2) and the time the process was paused for them.</summary>
    public int[] GcCollections { get; init; } = [];
    public double GcPauseMs { get; init; }
    /// <summary>The collections' pauses during the run per generation, from the runtime's GC events (docs/adr/0071).</summary>
    public IReadOnlyList<GcPauseSummary> GcPauses { get; init; } = [];
    /// <summary>
    /// Milliseconds the process was paused for collections while a record waited for its commit (sent → commit announced),
    /// the mean over the slowest 1 % (the records at or above <see cref="CommitP99Ms"/>): how much of the p99 was the GC.
    /// </summary>
    public double CommitP99GcPausedMs { get; init; }
    /// <summary>The same, the mean over every committed record.</summary>
    public double CommitGcPausedMeanMs { get; init; }
    /// <summary>Bytes the whole process allocated on the managed heap during the run, per record offered: what feeds those collections.</summary>
    public long AllocatedBytesPerRecord { get; init; }
    /// <summary>Records per commit during the run: mean and largest.</summary>
    public double BatchSizeMean { get; init; }
    public int BatchSizeMax { get; init; }
    /// <summary>Where the committer's batches spent their time during the run, per stage (docs/performance.md#where-a-batch-goes).</summary>
    public IReadOnlyList<CommitStageSummary> CommitStages { get; init; } = [];
    public required IReadOnlyList<string> Errors { get; init; }

    public bool Consistent =>
        Acknowledged == Writers && DbRows == Writers && Files == Writers && RecordsInGit == Writers && WorkingTreeClean;
}
