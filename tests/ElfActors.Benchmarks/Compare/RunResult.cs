namespace ElfActors.Benchmarks.Compare;

/// <summary>One run of one system: what to run.</summary>
internal sealed record RunSpec(string System, string Scenario, int Writers, int RepoFiles, int CommitDelayMs = 0, double OfferedRate = 0, int Repeat = 1);

/// <summary>
/// The seed note's table for one run, measured afterwards from the database (sqlite3), the folder and git.
/// Rates are percentages (0–100), latencies milliseconds.
/// </summary>
internal sealed record RunResult
{
    public required string System { get; init; }
    public required string Scenario { get; init; }
    public required int Writers { get; init; }
    public required int RepoFiles { get; init; }
    public required int CommitDelayMs { get; init; }
    public required double OfferedRate { get; init; }
    public required int Acknowledged { get; init; }
    public required double SuccessRate { get; init; }
    public required int DbRows { get; init; }
    public required int Files { get; init; }
    public required int RecordsInGit { get; init; }
    public required double StateConsistency { get; init; }
    public required double GitConsistency { get; init; }
    public required double WallSeconds { get; init; }
    public required double RecordsPerSecond { get; init; }
    /// <summary>elf-inproc: records/s committed between 10 % and 90 % of the run, without start-up and drain (see the simulator, docs/adr/0081).</summary>
    public double? SteadyRecordsPerSecond { get; init; }
    /// <summary>elf-inproc: the same rate as estimated before ADR 0081, between the two commits at the window's edges; null from a build without it.</summary>
    public double? SteadyRecordsPerSecondBetweenEdgeCommits { get; init; }
    public required double AckP50Ms { get; init; }
    public required double AckP99Ms { get; init; }
    public required double CommitP50Ms { get; init; }
    public required double CommitP99Ms { get; init; }
    public required int Commits { get; init; }
    /// <summary>Peak resident memory (VmHWM) of the long-running process: the host, the in-process simulator, option-b's worker.</summary>
    public required double? PeakMemoryMb { get; init; }
    public required string? Note { get; init; }
    /// <summary>The machine's load while the run was measured: the run is invalid when another process took CPU.</summary>
    public LoadWindow? Load { get; init; }
}
