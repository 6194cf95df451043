using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;
using System.Diagnostics;

namespace ElfActors.Actors;

/// <summary>
/// Akka's scheduler without a tick (<c>akka.scheduler.implementation</c> in hocon/elf.hocon; docs/performance.md#an-idle-host).
/// Akka's HashedWheelTimerScheduler wakes every <c>tick-duration</c> whether anything is due or not: an idle host's
/// largest cost (ten thread-pool wake-ups a second at 100 ms). Here the pending items are kept in deadline order and one
/// .NET timer is armed for the earliest, so nothing runs while nothing is due, and the timer is disarmed when nothing
/// is pending. Scheduling is a sorted insert under a lock: under load every recorder's receive timeout is scheduled and
/// cancelled again with each message (thousands a second), and a .NET timer per item (a finalizable object, the timer
/// queue's lock twice) made that a large share of a busy host's CPU and collections (docs/adr/0046).
/// Semantics are Akka's: a repeated item runs again <c>interval</c> after its run ended (never two runs at once), a
/// cancelled item never runs again, and after <see cref="Dispose"/> nothing runs.
/// </summary>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    /// <summary>The longest single wait a .NET timer takes (about 49 days); longer delays wait again.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>An item due within this much of now runs in the current pass rather than arming the timer again.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(1);

    private readonly object _gate = new();
    // Every pending item, earliest deadline first (ties: first scheduled, first run). Guarded by _gate.
    private readonly SortedSet<Item> _pending = new(ItemOrder.Instance);
    private readonly Timer _timer;
    // The deadline the timer is armed for; null while it is disarmed. Guarded by _gate.
    private TimeSpan? _armedFor;
    private long _sequence;
    private volatile bool _disposed;
    // Items whose action is running now (between their check of _disposed and their action's end). Guarded by _gate.
    private int _running;
    // The scheduler whose item's action runs on this thread: Dispose from inside a run waits for the others only.
    [ThreadStatic] private static DeadlineScheduler? _runningHere;
    private readonly TimeSpan _shutdownTimeout;

    public DeadlineScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
        _shutdownTimeout = scheduler.GetTimeSpan("akka.scheduler.shutdown-timeout", TimeSpan.FromSeconds(5), allowInfinite: false);
        _timer = new Timer(static state => ((DeadlineScheduler)state!).RunDue(), this, Timeout.Infinite, Timeout.Infinite);
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;
    public override TimeSpan MonotonicClock => Now();
    public override TimeSpan HighResMonotonicClock => Now();

    private static readonly long Started = Stopwatch.GetTimestamp();

    /// <summary>Time since this class was first used, from the high-resolution monotonic clock.</summary>
    private static TimeSpan Now() => Stopwatch.GetElapsedTime(Started);

    /// <summary>Items scheduled and neither run (for good) nor cancelled (tests; a committer's stall warning).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate) return _pending.Count;
        }
    }

    /// <summary>How long the earliest pending item is past its deadline (zero when none is): more than a moment means its timer did not fire.</summary>
    public TimeSpan OverdueBy
    {
        get
        {
            lock (_gate)
            {
                if (_pending.Count == 0) return TimeSpan.Zero;
                var late = Now() - _pending.Min!.Deadline;
                return late > TimeSpan.Zero ? late : TimeSpan.Zero;
            }
        }
    }

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
        item.WatchCancellation();
        Add(item, Now() + (delay < TimeSpan.Zero ? TimeSpan.Zero : delay));
    }

    /// <summary>Puts an item in deadline order, arming the timer if it is now the earliest.</summary>
    private void Add(Item item, TimeSpan deadline)
    {
        lock (_gate)
        {
            // A cancellation that came first removed nothing: the item is not added at all.
            if (_disposed || item.Stopped) return;
            item.Deadline = deadline;
            item.Sequence = _sequence++;
            _pending.Add(item);
            if (_armedFor is not { } armed || deadline < armed) Arm(deadline);
        }
    }

    /// <summary>Takes an item out (cancelled or stopped); with nothing left pending, the timer is disarmed.</summary>
    private void Remove(Item item)
    {
        lock (_gate)
        {
            _pending.Remove(item);
            if (_pending.Count > 0 || _armedFor is null || _disposed) return;
            _armedFor = null;
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
        }
        // An earlier item removed while later ones remain: the timer fires early, finds nothing due and arms for the next.
    }

    private void Arm(TimeSpan deadline)
    {
        _armedFor = deadline;
        var wait = deadline - Now();
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        _timer.Change(wait < LongestWait ? wait : LongestWait, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether an item may run its action now: false once disposed. A true answer counts the run until <see cref="RunEnded"/>.</summary>
    private bool TryBeginRun()
    {
        lock (_gate)
        {
            if (_disposed) return false;
            _running++;
            return true;
        }
    }

    private void RunEnded()
    {
        lock (_gate)
        {
            if (--_running == 0 && _disposed) Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The timer fired: the items due run (in deadline order, outside the lock), the timer is armed for the next.</summary>
    private void RunDue()
    {
        List<Item>? due = null;
        lock (_gate)
        {
            _armedFor = null;
            if (_disposed) return;
            var now = Now();
            while (_pending.Count > 0 && _pending.Min!.Deadline <= now + Slack)
            {
                var item = _pending.Min;
                _pending.Remove(item);
                (due ??= []).Add(item);
            }
            if (_pending.Count > 0) Arm(_pending.Min!.Deadline);
        }
        if (due is null) return;
        foreach (var item in due) item.Run();
    }

    /// <summary>
    /// Nothing runs from now on; pending items are dropped (as Akka's scheduler drops them at shutdown). A run under way
    /// (or one that passed its check and has not begun) is waited for, up to <c>akka.scheduler.shutdown-timeout</c> (5 s):
    /// once Dispose returns, no action of this scheduler runs, apart from one that outlived that wait.
    /// </summary>
    public void Dispose()
    {
        List<Item> left;
        lock (_gate)
        {
            _disposed = true;
            left = [.. _pending];
            _pending.Clear();
            _armedFor = null;
            var own = ReferenceEquals(_runningHere, this) ? 1 : 0; // disposed from inside a run: that one is ours
            var giveUpAt = Now() + _shutdownTimeout;
            while (_running > own && Now() < giveUpAt) Monitor.Wait(_gate, giveUpAt - Now());
        }
        foreach (var item in left) item.Stop();
        _timer.Dispose();
    }

    private sealed class Tell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);
        public void Execute() => Run();
    }

    private sealed class ItemOrder : IComparer<Item>
    {
        public static readonly ItemOrder Instance = new();

        public int Compare(Item? x, Item? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            var byDeadline = x!.Deadline.CompareTo(y!.Deadline);
            return byDeadline != 0 ? byDeadline : x.Sequence.CompareTo(y.Sequence);
        }
    }

    private sealed class Item(DeadlineScheduler owner, IRunnable action, ICancelable? cancelable, TimeSpan interval)
    {
        private CancellationTokenRegistration _registration;
        private int _stopped;

        // Set only while the item is out of the pending set (under the owner's lock): its place in the order.
        public TimeSpan Deadline { get; set; }
        public long Sequence { get; set; }

        public bool Stopped => Volatile.Read(ref _stopped) != 0;

        /// <summary>A cancelled item leaves the pending set at once, not when it would have been due (asks' and receive timeouts are mostly cancelled).</summary>
        public void WatchCancellation()
        {
            if (cancelable is not null) _registration = cancelable.Token.UnsafeRegister(static state => ((Item)state!).Stop(), this);
        }

        public void Run()
        {
            if (Stopped) return;
            if (cancelable?.IsCancellationRequested == true || !owner.TryBeginRun())
            {
                Stop();
                return;
            }
            var outer = _runningHere;
            _runningHere = owner;
            try
            {
                action.Run();
            }
            catch (Exception e)
            {
                owner.Log.Error(e, "A scheduled task failed");
            }
            finally
            {
                _runningHere = outer;
                owner.RunEnded();
            }
            if (interval > TimeSpan.Zero && !owner._disposed && cancelable?.IsCancellationRequested != true) owner.Add(this, Now() + interval);
            else Stop();
        }

        public void Stop()
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
            _registration.Dispose();
            owner.Remove(this);
        }
    }
}
