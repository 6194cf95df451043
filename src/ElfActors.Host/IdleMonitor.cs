using System.Diagnostics;

namespace ElfActors.Host;

/// <summary>
/// What the pipe has been asked lately: when the last request that does work ended, and how many are in flight.
/// <c>status</c> and <c>ping</c> do not count as work, so a script that watches the host does not keep it alive.
/// Read by <see cref="IdleExitService"/>; written by every request, so it is two interlocked fields, no lock.
/// </summary>
public sealed class IdleMonitor
{
    private long _lastActivity = Stopwatch.GetTimestamp();

    /// <summary>Started by `elf` because no host answered (it exits when idle), not by a person or a service manager.</summary>
    public bool AutoStarted { get; init; }
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));

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
        }
    }
}
