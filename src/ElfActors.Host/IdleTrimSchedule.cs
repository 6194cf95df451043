namespace ElfActors.Host;

/// <summary>
/// How long an idle host waits before its next trim (<see cref="IdleMemoryTrimService"/>, ADR 0063). The first wait is
/// <c>elf.host.idle-trim</c>. A trim that the next request follows within <c>elf.host.idle-trim-longest</c> was soon
/// undone (that request faulted back what it touched): the wait doubles, up to that longest wait. A trim that lasted
/// longer brings the wait back to the first one. So a host used every 30 s trims once (16 s after a request), or twice
/// when a gap runs a little over 31 s, and then no more while its use goes on; once it stops, it trims after the longest
/// wait at most.
/// </summary>
public sealed class IdleTrimSchedule
{
    public const string LongestSetting = "elf.host.idle-trim-longest";

    private readonly TimeSpan _first;
    private readonly TimeSpan _longest;

    public IdleTrimSchedule(TimeSpan first, TimeSpan longest)
    {
        _first = first;
        _longest = longest > first ? longest : first;
        Wait = first;
    }

    /// <summary>How long without requests before the next trim.</summary>
    public TimeSpan Wait { get; private set; }

    /// <summary>The first request after a trim ended <paramref name="afterTrim"/> after it.</summary>
    public void UsedAgain(TimeSpan afterTrim) =>
        Wait = afterTrim < _longest ? TimeSpan.FromTicks(Math.Min(Wait.Ticks * 2, _longest.Ticks)) : _first;
}
