using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using ElfActors.Actors;

namespace ElfActors.Tests.Actors;

/// <summary>The tick-less scheduler (hocon/elf.hocon): Akka's scheduling semantics, and the host's actor system uses it.</summary>
public sealed class DeadlineSchedulerTests : Akka.TestKit.Xunit2.TestKit
{
    public DeadlineSchedulerTests() : base(ElfHocon.Default)
    {
    }

    [Fact]
    public void The_elf_configuration_makes_it_the_actor_systems_scheduler()
    {
        Assert.IsType<DeadlineScheduler>(Sys.Scheduler);
    }

    [Fact]
    public void A_tell_arrives_after_its_delay_and_a_cancelled_one_never()
    {
        var started = Sys.Scheduler.MonotonicClock;
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(300), TestActor, "late", ActorRefs.NoSender);
        var cancelled = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(100), TestActor, "cancelled", ActorRefs.NoSender);
        cancelled.Cancel();

        ExpectMsg("late", TimeSpan.FromSeconds(10));
        Assert.True(Sys.Scheduler.MonotonicClock - started >= TimeSpan.FromMilliseconds(290), "arrived before its delay");
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_repeated_tell_repeats_and_a_cancelled_repetition_stops()
    {
        var probe = CreateTestProbe();
        var repeated = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), probe, "again", ActorRefs.NoSender);
        for (var i = 0; i < 3; i++) probe.ExpectMsg("again", TimeSpan.FromSeconds(10));
        repeated.Cancel();

        var cancelable = new Cancelable(Sys.Scheduler);
        var runs = 0;
        Sys.Scheduler.Advanced.ScheduleRepeatedly(TimeSpan.Zero, TimeSpan.FromMilliseconds(20), () => Interlocked.Increment(ref runs), cancelable);
        AwaitCondition(() => Volatile.Read(ref runs) >= 3, TimeSpan.FromSeconds(20));
        cancelable.Cancel();
        // A run already under way as it was cancelled may still end; none starts after that.
        var atCancel = Volatile.Read(ref runs);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // nothing comes to TestActor: the time for two dozen runs, had it not stopped
        Assert.InRange(Volatile.Read(ref runs), atCancel, atCancel + 1);
    }

    [Fact]
    public void A_repeated_action_never_runs_twice_at_once_and_nothing_runs_after_dispose()
    {
        using var scheduler = new DeadlineScheduler(ConfigurationFactory.Empty, NoLogger.Instance);
        var running = 0;
        var overlapped = false;
        var runs = 0;
        ((IScheduler)scheduler).Advanced.ScheduleRepeatedly(TimeSpan.Zero, TimeSpan.FromMilliseconds(1), () =>
        {
            if (Interlocked.Increment(ref running) > 1) overlapped = true;
            Thread.Sleep(20); // longer than the interval: the next run waits for this one
            Interlocked.Increment(ref runs);
            Interlocked.Decrement(ref running);
        });
        AwaitCondition(() => Volatile.Read(ref runs) >= 5, TimeSpan.FromSeconds(20));
        Assert.False(overlapped);

        scheduler.Dispose();
        // Dispose waits for the run under way (and for one that had passed its check as it was disposed and not yet
        // begun: CI saw that gap once before Dispose waited); none starts after it returns.
        Assert.Equal(0, Volatile.Read(ref running));
        var after = Volatile.Read(ref runs);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // time for ten runs that should not come
        Assert.Equal(after, Volatile.Read(ref runs));
        Assert.Equal(0, Volatile.Read(ref running));
        Assert.Throws<SchedulerException>(() => ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.Zero, () => { }));
    }

    [Fact]
    public async Task Dispose_returns_only_once_a_run_under_way_has_ended()
    {
        using var scheduler = new DeadlineScheduler(ConfigurationFactory.ParseString("akka.scheduler.shutdown-timeout = 60s"), NoLogger.Instance);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var ended = 0;
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.Zero, () =>
        {
            started.Set();
            release.Wait();
            Volatile.Write(ref ended, 1);
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)), "the action did not start");

        var disposing = Task.Run(scheduler.Dispose);
        // The action cannot end before it is released, so a Dispose that returned here did not wait for it.
        await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.False(disposing.IsCompleted, "Dispose returned while an action was running");
        release.Set();
        await disposing.WaitAsync(TimeSpan.FromSeconds(10)); // Dispose returns once the action ended
        Assert.Equal(1, Volatile.Read(ref ended));
    }

    [Fact]
    public void An_action_that_disposes_its_scheduler_does_not_wait_for_itself()
    {
        using var scheduler = new DeadlineScheduler(ConfigurationFactory.ParseString("akka.scheduler.shutdown-timeout = 60s"), NoLogger.Instance);
        using var disposed = new ManualResetEventSlim();
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.Zero, () =>
        {
            scheduler.Dispose();
            disposed.Set();
        });
        // Waiting for its own run, Dispose would return only after the 60 s shutdown-timeout.
        Assert.True(disposed.Wait(TimeSpan.FromSeconds(10)), "Dispose from inside a run waited for that run");
    }

    [Fact]
    public void Cancelled_items_leave_nothing_pending_and_an_earlier_item_is_not_held_behind_a_later_one()
    {
        using var scheduler = new DeadlineScheduler(ConfigurationFactory.Empty, NoLogger.Instance);
        var advanced = ((IScheduler)scheduler).Advanced;
        // As recorders' receive timeouts under load (docs/adr/0046): thousands scheduled for 30 s and cancelled soon after.
        for (var i = 0; i < 10_000; i++)
        {
            var cancelable = new Cancelable((IScheduler)scheduler);
            advanced.ScheduleOnce(TimeSpan.FromSeconds(30), () => { }, cancelable);
            cancelable.Cancel();
        }
        Assert.Equal(0, scheduler.PendingCount);

        // One due in an hour, then one due almost at once: the one timer is armed again for the earlier.
        var late = new Cancelable((IScheduler)scheduler);
        var ran = 0;
        advanced.ScheduleOnce(TimeSpan.FromHours(1), () => Interlocked.Increment(ref ran), late);
        advanced.ScheduleOnce(TimeSpan.FromMilliseconds(10), () => Interlocked.Add(ref ran, 10));
        AwaitCondition(() => Volatile.Read(ref ran) == 10, TimeSpan.FromSeconds(10));
        Assert.Equal(1, scheduler.PendingCount);
        late.Cancel();
        Assert.Equal(0, scheduler.PendingCount);
        Assert.Equal(10, Volatile.Read(ref ran));
    }
}
