using System.Diagnostics;
using ElfActors.Host.Simulation;

namespace ElfActors.Tests.Cli;

/// <summary>simulate's steady rate: records per second between the commits at about 10 % and 90 % of a run.</summary>
public sealed class SteadyRateTests
{
    private static long At(double seconds) => (long)(seconds * Stopwatch.Frequency);

    /// <summary>Commit times of batches: every record of a batch has its commit's time.</summary>
    private static IEnumerable<long> Batches(params (double Seconds, int Records)[] commits) =>
        commits.SelectMany(c => Enumerable.Repeat(At(c.Seconds), c.Records));

    [Fact]
    public void A_run_that_keeps_up_reports_its_rate_without_the_start_and_the_drain()
    {
        // 500 records every 0.1 s from 0.1 s to 10 s (5,000/s), a slow first commit and a drain to 10.4 s.
        var commits = new List<(double, int)> { (0.5, 2500) };
        for (var t = 0.6; t < 10.05; t += 0.1) commits.Add((t, 500));
        commits.Add((10.4, 300));

        var steady = Simulator.SteadyRate(Batches([.. commits]), At(0), At(10.4));

        Assert.NotNull(steady);
        Assert.InRange(steady.Value, 4999, 5001);
        Assert.True((2500 + 95 * 500 + 300) / 10.4 < 4900); // what the wall-time rate says of the same run
    }

    [Fact]
    public void A_run_falling_behind_reports_what_it_committed_not_what_it_was_offered()
    {
        var commits = Enumerable.Range(1, 40).Select(i => (i * 0.25, 1000)).ToArray(); // 4,000/s

        Assert.InRange(Simulator.SteadyRate(Batches(commits), At(0), At(10))!.Value, 3999, 4001);
    }

    [Fact]
    public void Fewer_than_two_commits_inside_the_window_give_no_rate()
    {
        Assert.Null(Simulator.SteadyRate(Batches((0.5, 100), (9.5, 100)), At(0), At(10)));
        Assert.Null(Simulator.SteadyRate([], At(0), At(10)));
    }
}
