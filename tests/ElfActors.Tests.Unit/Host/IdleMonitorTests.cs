using System.Diagnostics;
using ElfActors.Host;

namespace ElfActors.Tests.Host;

/// <summary>
/// The idle trim's blocking waits (ADR 0068): its loop runs on a thread of its own and waits on <see cref="IdleMonitor"/>
/// with plain handles, no async state machine. Each test runs the wait on a real thread and checks when it returns.
/// </summary>
public sealed class IdleMonitorTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_next_request_ended_handle_is_set_by_a_request_that_ends_after_it_was_asked_for_not_before()
    {
        var monitor = new IdleMonitor();
        monitor.Working().Dispose(); // before: nobody waits
        var handle = monitor.NextRequestEnded();
        Assert.False(handle.WaitOne(0));

        var request = monitor.Working();
        Assert.False(handle.WaitOne(0)); // in flight, not ended
        request.Dispose();

        Assert.True(handle.WaitOne(0));
        // Asked for again: armed anew, the last request's end does not count.
        Assert.False(monitor.NextRequestEnded().WaitOne(0));
    }

    [Fact]
    public void Waiting_until_idle_returns_once_the_request_in_flight_has_ended_and_the_period_has_passed_since()
    {
        var monitor = new IdleMonitor();
        var period = TimeSpan.FromMilliseconds(100);
        var request = monitor.Working();
        var idle = TimeSpan.Zero;
        var waiter = new Thread(() => monitor.WaitUntilIdle(period, CancellationToken.None, out idle));
        waiter.Start();

        // A request in flight keeps it waiting however long ago the last one ended.
        Assert.False(waiter.Join(3 * period));
        var ended = Stopwatch.GetTimestamp();
        request.Dispose();

        Assert.True(waiter.Join(Long));
        Assert.True(Stopwatch.GetElapsedTime(ended) >= period, "returned before the period had passed since the request ended");
        Assert.True(idle >= period);
    }

    [Fact]
    public void Waiting_until_idle_returns_false_at_once_when_the_host_stops()
    {
        var monitor = new IdleMonitor();
        using var stopping = new CancellationTokenSource();
        using var _ = monitor.Working();
        var result = true;
        var waiter = new Thread(() => result = monitor.WaitUntilIdle(Long, stopping.Token, out var _));
        waiter.Start();

        stopping.Cancel();

        Assert.True(waiter.Join(Long));
        Assert.False(result);
    }
}
