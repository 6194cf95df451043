using Akka.Configuration;
using ElfActors.Actors;

namespace ElfActors.Tests.Host;

/// <summary>
/// <see cref="HoconDuration"/> reads what Akka's <c>Config.GetTimeSpan</c> reads, value for value and failure for failure
/// (docs/adr/0064): ElfSettings reads its durations with it on a cold host's way to its first acknowledgement.
/// </summary>
public sealed class HoconDurationTests
{
    public static TheoryData<string> Texts() =>
    [
        // every unit Akka spells, whole and fractional
        "7nanoseconds", "7nanosecond", "7nanos", "7nano", "7ns", "1500ns",
        "7microseconds", "7microsecond", "7micros", "7micro", "2.5micros", "7us",
        "7milliseconds", "7millisecond", "7millis", "7milli", "7ms", "100ms", "0.5ms",
        "7seconds", "7second", "7s", "1.25s", "0s",
        "7minutes", "7minute", "7m", "15m",
        "7hours", "7hour", "7h", "1.5h",
        "7days", "7day", "7d",
        // spaces between the number and the unit, a unit Akka does not know, no unit (milliseconds), infinity
        "10 s", "10  ms", "10\ts", "15min", "15 sec", "250", "2.5", "1.", "infinite", "Infinite", "INFINITE",
        // what Akka refuses (1.5.74 has no "us" above)
        "-5s", "-5", "s", "", "1.5.5s", "ten seconds", "5 S", "1e3",
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Reads_every_duration_as_akka_does(string text)
    {
        var config = ConfigurationFactory.ParseString($"d = \"{text.Replace("\t", "\\t")}\"");
        var akka = Read(() => config.GetTimeSpan("d"));
        var ours = Read(() => HoconDuration.Read(config, "d"));
        Assert.Equal(akka, ours);
    }

    [Fact]
    public void A_missing_value_is_zero_as_in_akka()
    {
        var config = ConfigurationFactory.ParseString("other = 1s");
        Assert.Equal(config.GetTimeSpan("d"), HoconDuration.Read(config, "d"));
        Assert.Equal(TimeSpan.Zero, HoconDuration.Read(config, "d"));
    }

    [Fact]
    public void The_shipped_settings_read_the_same_with_both_readers()
    {
        // Every duration under elf { } in the embedded defaults.
        var elf = ElfHocon.Default.GetConfig("elf");
        var durations = new[]
        {
            "index.busy-timeout", "recorder.reply-timeout", "committer.min-commit-interval", "committer.sweep-interval",
            "committer.idle-sweep-interval", "committer.orphan-grace", "committer.stall-warning", "committer.stale-lock-age",
            "committer.backoff.min", "committer.backoff.max", "committer.backoff.reset-after",
            "sync.interval", "sync.after-commit", "sync.retry.min", "sync.retry.max", "sync.integrate-timeout",
        };
        foreach (var path in durations)
        {
            Assert.True(elf.HasPath(path), path);
            Assert.Equal(elf.GetTimeSpan(path), HoconDuration.Read(elf, path));
        }
    }

    /// <summary>The value, or the kind of exception and its message.</summary>
    private static string Read(Func<TimeSpan> read)
    {
        try
        {
            return read().Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }
}
