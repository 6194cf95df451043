using System.Diagnostics;
using Akka.Actor;
using ElfActors.Actors;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

/// <summary>
/// What the pipe has been asked lately: when the last request that does work ended, and how many are in flight.
/// <c>status</c> and <c>ping</c> do not count as work, so a script that watches the host does not keep it alive.
/// Read by <see cref="IdleExitService"/> and <see cref="IdleMemoryTrimService"/>; written by every request, so it is
/// interlocked fields, no lock.
/// </summary>
public sealed class IdleMonitor
{
    private long _lastActivity = Stopwatch.GetTimestamp();

    /// <summary>Started by `elf` because no host answered (it exits when idle), not by a person or a service manager.</summary>
    public bool AutoStarted { get; init; }
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));

    /// <summary>
    /// Returns once nothing is in flight and the last request ended at least <paramref name="period"/> ago, with how long
    /// ago. It sleeps until the period could have ended, so an idle host is woken once per period, not polled.
    /// </summary>
    public async Task<TimeSpan> WaitUntilIdleAsync(TimeSpan period, CancellationToken cancellation)
    {
        while (true)
        {
            var idle = IdleFor;
            if (idle >= period && InFlight == 0) return idle;
            await Task.Delay(idle < period ? period - idle : period, cancellation);
        }
    }

    /// <summary>
    /// An idle period setting (<c>elf.host.idle-exit</c>, <c>elf.host.idle-trim</c>); zero when it is 0 or absent, and when
    /// it is not a duration, which is logged with <paramref name="whenInvalid"/>: a bad setting must not stop a host
    /// that is serving (it stays up, and `elf status` shows why).
    /// </summary>
    public static TimeSpan Period(ActorSystem system, string setting, ILogger log, string whenInvalid)
    {
        try
        {
            return HoconDuration.Read(system.Settings.Config, setting); // Akka's reader, without its compiled regex (ADR 0064)
        }
        catch (FormatException e)
        {
            log.LogError("{Setting} is not a duration ({Reason}): {Consequence}", setting, e.Message, whenInvalid);
            return TimeSpan.Zero;
        }
    }

    /// <summary>
    /// Blocks the calling thread (the idle trim's own, <see cref="IdleMemoryTrimService"/>) until nothing is in flight and
    /// the last request ended at least <paramref name="period"/> ago, and gives how long ago; false when
    /// <paramref name="cancellation"/> is cancelled first. It sleeps until the period could have ended, as
    /// <see cref="WaitUntilIdleAsync"/> does, without an async state machine: the trim's loop runs only CoreLib's
    /// precompiled code (no generic instantiation over this assembly's types that the JIT would compile, ADR 0068).
    /// </summary>
    public bool WaitUntilIdle(TimeSpan period, CancellationToken cancellation, out TimeSpan idle)
    {
        while (true)
        {
            idle = IdleFor;
            if (idle >= period && InFlight == 0) return true;
            if (cancellation.WaitHandle.WaitOne(idle < period ? period - idle : period)) return false;
        }
    }

    private readonly ManualResetEvent _requestEnded = new(initialState: false);
    private int _requestEndedArmed;

    /// <summary>
    /// A handle that is set when the next request that does work ends (one waiter: <see cref="IdleMemoryTrimService"/>),
    /// so an idle host sleeps until it is used again instead of looking. Each call re-arms it.
    /// </summary>
    public WaitHandle NextRequestEnded()
    {
        _requestEnded.Reset();
        Volatile.Write(ref _requestEndedArmed, 1);
        return _requestEnded;
    }

    /// <summary>Marks a request as in flight until the returned scope is disposed.</summary>
    public Scope Working()
    {
        Interlocked.Increment(ref _inFlight);
        return new Scope(this);
    }

    public readonly struct Scope(IdleMonitor monitor) : IDisposable
    {
        public void Dispose()
        {
            Volatile.Write(ref monitor._lastActivity, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref monitor._inFlight);
            if (Volatile.Read(ref monitor._requestEndedArmed) == 1 && Interlocked.Exchange(ref monitor._requestEndedArmed, 0) == 1) monitor._requestEnded.Set();
        }
    }
}
