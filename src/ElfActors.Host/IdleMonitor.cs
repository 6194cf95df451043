using System.Diagnostics;

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
    private TaskCompletionSource? _nextRequestEnded;

    public int InFlight => Volatile.Read(ref _inFlight);

    public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));

    /// <summary>
    /// Completes when the next request that does work ends (one waiter: <see cref="IdleMemoryTrimService"/>), so an idle
    /// host sleeps until it is used again instead of looking.
    /// </summary>
    public Task NextRequestEnded(CancellationToken cancellation)
    {
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _nextRequestEnded, next);
        return next.Task.WaitAsync(cancellation);
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
            if (Volatile.Read(ref monitor._nextRequestEnded) is not null) Interlocked.Exchange(ref monitor._nextRequestEnded, null)?.TrySetResult();
        }
    }
}
