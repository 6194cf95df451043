using System.Diagnostics;
using ElfActors.Host.Simulation;

namespace ElfActors.Tests.Cli;

/// <summary>simulate's GC pauses (docs/adr/0071): the runtime's own events, and how much of a record's wait they were.</summary>
public sealed class GcPauseTests
{
    private static long At(double milliseconds) => (long)(milliseconds * Stopwatch.Frequency / 1000);

    [Fact]
    public void The_pause_within_a_records_wait_counts_only_the_parts_of_pauses_inside_it()
    {
        GcPause[] pauses = [new(At(10), At(20), 0), new(At(30), At(50), 2), new(At(100), At(110), 1)];

        Assert.Equal(10, GcPauseListener.PausedWithin(pauses, At(15), At(35)), 3);  // 5 of the first, 5 of the second
        Assert.Equal(40, GcPauseListener.PausedWithin(pauses, At(0), At(200)), 3);  // all three
        Assert.Equal(0, GcPauseListener.PausedWithin(pauses, At(60), At(90)), 3);   // between them
    }

    [Fact]
    public void A_collection_made_while_listening_is_seen_with_its_generation_and_one_made_before_is_not()
    {
        using var listener = new GcPauseListener();
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        listener.Begin();
        var before = Stopwatch.GetTimestamp();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var after = Stopwatch.GetTimestamp();

        // The runtime hands its events to listeners on a thread of its own, a moment later.
        Assert.True(SpinWait.SpinUntil(() => listener.Pauses().Any(p => p.Generation == 2), TimeSpan.FromSeconds(30)));
        listener.End();

        var pauses = listener.Pauses();
        Assert.DoesNotContain(pauses, p => p.Generation == 1);
        var pause = Assert.Single(pauses, p => p.Generation == 2);
        Assert.True(pause.End >= pause.Start);
        Assert.Equal("Induced", pause.ReasonName);
        // On the Stopwatch clock the records' latencies use (the events' own clock, mapped to it, rounded to a few ms).
        Assert.InRange(pause.Start, before - At(50), after + At(50));
    }
}
