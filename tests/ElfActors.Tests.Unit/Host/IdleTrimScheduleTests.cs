using ElfActors.Host;

namespace ElfActors.Tests.Host;

/// <summary>
/// When an idle host trims (ADR 0063): 15 s after its last request the first time, and a host in steady use is not
/// trimmed after every request. Requests are simulated at fixed gaps: a trim happens in a gap at least as long as the
/// wait (and the mappings' settle), and the next request then comes the rest of the gap after it.
/// </summary>
public sealed class IdleTrimScheduleTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(15), Longest = TimeSpan.FromMinutes(2);

    private static int TrimsBetween(IdleTrimSchedule schedule, params TimeSpan[] gaps)
    {
        var trims = 0;
        foreach (var gap in gaps)
        {
            var trimAt = schedule.Wait + IdleMemoryTrimService.MappingsSettle;
            if (gap < trimAt) continue;
            trims++;
            schedule.UsedAgain(gap - trimAt);
        }
        return trims;
    }

    [Fact]
    public void The_first_trim_comes_after_the_first_wait()
    {
        Assert.Equal(First, new IdleTrimSchedule(First, Longest).Wait);
    }

    [Fact]
    public void A_host_used_every_30_seconds_is_trimmed_once_then_no_more_while_its_use_goes_on()
    {
        var schedule = new IdleTrimSchedule(First, Longest);

        var trims = TrimsBetween(schedule, Enumerable.Repeat(TimeSpan.FromSeconds(30), 120).ToArray());

        Assert.Equal(1, trims); // 16 s into the first gap; with a fixed 15 s wait: 120, one per record
        Assert.Equal(TimeSpan.FromSeconds(30), schedule.Wait);
    }

    [Fact]
    public void The_wait_grows_up_to_the_longest_and_a_trim_that_lasted_brings_it_back()
    {
        var schedule = new IdleTrimSchedule(First, Longest);
        foreach (var expected in new[] { 30, 60, 120, 120 })
        {
            schedule.UsedAgain(TimeSpan.FromSeconds(5));
            Assert.Equal(TimeSpan.FromSeconds(expected), schedule.Wait);
        }

        schedule.UsedAgain(Longest);

        Assert.Equal(First, schedule.Wait);
    }

    [Fact]
    public void A_host_used_every_few_minutes_is_trimmed_after_each_request()
    {
        var schedule = new IdleTrimSchedule(First, Longest);

        Assert.Equal(10, TrimsBetween(schedule, Enumerable.Repeat(TimeSpan.FromMinutes(3), 10).ToArray()));
        Assert.Equal(First, schedule.Wait);
    }

    [Fact]
    public void A_longest_wait_below_the_first_never_grows_it()
    {
        var schedule = new IdleTrimSchedule(TimeSpan.FromMilliseconds(200), TimeSpan.Zero);

        schedule.UsedAgain(TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromMilliseconds(200), schedule.Wait);
    }

    [Theory]
    [InlineData(100_000_000, -1, true)] // the first trim
    [InlineData(100_000_000, 100_000_000, false)] // nothing allocated since
    [InlineData(103_000_000, 100_000_000, false)] // 3 MB: less than 4 MiB
    [InlineData(105_000_000, 100_000_000, true)]
    public void A_trim_collects_only_when_enough_was_allocated_since_the_last(long now, long atLastTrim, bool collects)
    {
        Assert.Equal(collects, IdleMemoryTrimService.ShouldCollect(now, atLastTrim));
    }
}
