using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;
using System.Diagnostics;

namespace ElfActors.Actors;

/// <summary>
/// Akka's scheduler without a tick (<c>akka.scheduler.implementation</c> in hocon/elf.hocon; docs/performance.md#an-idle-host).
/// Akka's HashedWheelTimerScheduler wakes every <c>tick-duration</c> whether anything is due or not: an idle host's
/// largest cost (ten thread-pool wake-ups a second at 100 ms). Here every scheduled item is one .NET timer, which the
/// runtime's timer thread waits for until it is due, so nothing runs while nothing is due.
/// Semantics are Akka's: a repeated item runs again <c>interval</c> after its run ended (never two runs at once), a
/// cancelled item never runs again, and after <see cref="Dispose"/> nothing runs.
/// </summary>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    /// <summary>The longest single wait a .NET timer takes (about 49 days); longer delays wait again.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly ConcurrentDictionary<Item, byte> _pending = new();
    private volatile bool _disposed;

    public DeadlineScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;
    public override TimeSpan MonotonicClock => Now();
    public override TimeSpan HighResMonotonicClock => Now();

    private static readonly long Started = Stopwatch.GetTimestamp();

    /// <summary>Time since this class was first used, from the high-resolution monotonic clock.</summary>
    private static TimeSpan Now() => Stopwatch.GetElapsedTime(Started);

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action, cancelable);

    private void Schedule(TimeSpan delay, TimeSpan interval, IRunnable action, ICancelable? cancelable)
    {
        if (_disposed) throw new SchedulerException("cannot schedule after the scheduler was disposed");
        if (cancelable?.IsCancellationRequested == true) return;
        var item = new Item(this, action, cancelable, interval);
        _pending[item] = 0;
        item.Start(delay < TimeSpan.Zero ? TimeSpan.Zero : delay);
    }

    /// <summary>Nothing runs from now on; pending items are dropped (as Akka's scheduler drops them at shutdown).</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var item in _pending.Keys) item.Stop();
    }

    private sealed class Tell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);
        public void Execute() => Run();
    }

    private sealed class Item
    {
        private readonly DeadlineScheduler _owner;
        private readonly IRunnable _action;
        private readonly ICancelable? _cancelable;
        private readonly TimeSpan _interval;
        private readonly Timer _timer;
        private CancellationTokenRegistration _registration;
        private TimeSpan _deadline;
        private int _stopped;

        public Item(DeadlineScheduler owner, IRunnable action, ICancelable? cancelable, TimeSpan interval)
        {
            _owner = owner;
            _action = action;
            _cancelable = cancelable;
            _interval = interval;
            _timer = new Timer(static state => ((Item)state!).Fire(), this, Timeout.Infinite, Timeout.Infinite);
        }

        public void Start(TimeSpan delay)
        {
            // A cancelled item's timer goes at once, not when it would have been due (asks' timeouts are mostly cancelled).
            if (_cancelable is not null) _registration = _cancelable.Token.UnsafeRegister(static state => ((Item)state!).Stop(), this);
            Arm(delay);
        }

        private void Arm(TimeSpan delay)
        {
            _deadline = Now() + delay;
            if (Volatile.Read(ref _stopped) != 0) return;
            try
            {
                _timer.Change(delay < LongestWait ? delay : LongestWait, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // stopped meanwhile
            }
        }

        private void Fire()
        {
            if (Volatile.Read(ref _stopped) != 0) return;
            if (_owner._disposed || _cancelable?.IsCancellationRequested == true)
            {
                Stop();
                return;
            }
            var remaining = _deadline - Now();
            if (remaining > TimeSpan.FromMilliseconds(1))
            {
                Arm(remaining); // a delay longer than one timer's wait, or a timer that fired early
                return;
            }
            try
            {
                _action.Run();
            }
            catch (Exception e)
            {
                _owner.Log.Error(e, "A scheduled task failed");
            }
            if (_interval > TimeSpan.Zero && !_owner._disposed && _cancelable?.IsCancellationRequested != true) Arm(_interval);
            else Stop();
        }

        public void Stop()
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
            _registration.Dispose();
            _timer.Dispose();
            _owner._pending.TryRemove(this, out _);
        }
    }
}
