using System.Diagnostics;
using ElfActors.Host.Simulation;

namespace ElfActors.Tests.Cli;

/// <summary>
/// simulate's steady rate: records committed per second between 10 % and 90 % of a run, fitted through every commit there
/// (docs/adr/0081); and the estimate it replaced, between the two commits at the window's edges.
/// </summary>
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

    [Fact]
    public void One_fast_and_one_slow_commit_at_the_windows_edges_do_not_move_the_rate_by_a_batch()
    {
        // A batch read every 0.1 s (500 records: 5,000/s), each committed 60 ms after its read, except the first inside
        // the window (read at 1.0 s, committed 1 ms later) and the last inside it (read at 8.9 s, committed 99 ms later).
        var commits = Enumerable.Range(1, 100).Select(i => (Seconds: i switch { 10 => 1.001, 89 => 8.999, _ => i / 10.0 + 0.06 }, Records: 500)).ToArray();

        var betweenEdges = Simulator.SteadyRateBetweenEdgeCommits(Batches(commits), At(0), At(10));
        var steady = Simulator.SteadyRate(Batches(commits), At(0), At(10));

        Assert.InRange(betweenEdges!.Value, 4930, 4945); // 79 batches over 7.998 s: 61/s, about a batch's worth, below
        Assert.NotNull(steady);
        Assert.InRange(steady.Value, 4985, 5001);
    }

    [Fact]
    public void A_run_that_falls_half_a_second_further_behind_inside_the_window_is_charged_all_of_it()
    {
        // 5,000/s read every 0.1 s, committed 0.1 s after the read until 5 s and 0.6 s after it from then on: the window
        // (1.06-9.54 s) holds half a second of rate lost. A fit weighted to the window's middle, or averaged over its
        // edges' wide spans, would forgive part of it (a least-squares slope: 4,788/s).
        var commits = Enumerable.Range(1, 100).Select(i => (i / 10.0 + (i < 50 ? 0.1 : 0.6), 500)).ToArray();

        var betweenEdges = Simulator.SteadyRateBetweenEdgeCommits(Batches(commits), At(0), At(10.6))!.Value;
        var steady = Simulator.SteadyRate(Batches(commits), At(0), At(10.6))!.Value;

        Assert.InRange(betweenEdges, 4700, 4705); // 39,500 records over 8.4 s
        Assert.InRange(steady, 4650, 4705);
    }

    [Fact]
    public void A_run_catching_up_a_backlog_is_never_credited_with_more_than_it_was_sent()
    {
        // Sent at 5,000/s for 10 s, nothing committed for the first 3 s, then 7,000/s until the backlog is gone.
        var commits = new List<(double, int)>();
        for (var t = 3.1; t <= 10.05; t += 0.1) commits.Add((t, 700));
        commits.Add((10.3, 50_000 - commits.Count * 700));

        Assert.True(Simulator.SteadyRate(Batches([.. commits]), At(0), At(10.3))!.Value > 5100); // no bound: the catch-up's rate
        Assert.Equal(5000, Simulator.SteadyRate(Batches([.. commits]), At(0), At(10.3), sentPerSecond: 5000));
    }

    [Fact]
    public void What_the_edges_means_read_above_both_the_edge_commits_and_the_wall_time_rate_is_not_credited()
    {
        // The timeline of the edge test: 4,938.7/s between the edge commits, 4,991.5/s between the tenths' means.
        var commits = Enumerable.Range(1, 100).Select(i => (Seconds: i switch { 10 => 1.001, 89 => 8.999, _ => i / 10.0 + 0.06 }, Records: 500)).ToArray();

        // A wall-time rate of 4,960/s (a run that kept up, its drain short): the means may lift the figure to it, no further.
        Assert.Equal(4960, Simulator.SteadyRate(Batches(commits), At(0), At(10), wallTimeRate: 4960));
        // One far behind on wall time (4,500/s): no higher than between the edge commits.
        Assert.InRange(Simulator.SteadyRate(Batches(commits), At(0), At(10), wallTimeRate: 4500)!.Value, 4938, 4939);
        // A wall-time rate above the means' reading bounds nothing.
        Assert.InRange(Simulator.SteadyRate(Batches(commits), At(0), At(10), wallTimeRate: 5100)!.Value, 4985, 5001);
    }

    [Fact]
    public void The_rate_records_were_sent_at_is_one_fewer_than_were_sent_over_the_first_to_the_last()
    {
        Assert.Equal(5000, Simulator.SentPerSecond(Enumerable.Range(0, 50_001).Select(i => At(i / 5000.0) + 17)), 3);
        Assert.Equal(0, Simulator.SentPerSecond([At(1)]));
        Assert.Equal(0, Simulator.SentPerSecond([]));
    }
}
