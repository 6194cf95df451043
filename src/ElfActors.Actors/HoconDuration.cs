using System.Globalization;
using Akka.Configuration;

namespace ElfActors.Actors;

/// <summary>
/// Reads a HOCON duration exactly as Akka's <c>Config.GetTimeSpan(path)</c> reads it — a number (digits, optionally a
/// fraction) and a unit (ns … d, in Akka's spellings), else <c>infinite</c>, else a number of milliseconds; a negative
/// value is refused; a missing value is zero — without Akka's parser, which matches the text with a compiled
/// regular expression: its first use emits and JIT-compiles the expression, about 45 ms of CPU on the thread that asks,
/// and `elf serve` asks on its way to its first acknowledgement (docs/adr/0064). <c>HoconDurationTests</c> compares both
/// readers on every unit and on the edge cases.
/// </summary>
public static class HoconDuration
{
    // Akka's alternation (1.5.74's: no "us"), in Akka's order (the regular expression tries them in turn, anchored at the end).
    private static readonly (string Unit, int Kind)[] Units =
    [
        ("nanoseconds", 0), ("nanosecond", 0), ("nanos", 0), ("nano", 0), ("ns", 0),
        ("microseconds", 1), ("microsecond", 1), ("micros", 1), ("micro", 1),
        ("milliseconds", 2), ("millisecond", 2), ("millis", 2), ("milli", 2), ("ms", 2),
        ("seconds", 3), ("second", 3), ("s", 3),
        ("minutes", 4), ("minute", 4), ("m", 4),
        ("hours", 5), ("hour", 5), ("h", 5),
        ("days", 6), ("day", 6), ("d", 6),
    ];

    /// <summary>The duration at <paramref name="path"/>: Akka's <c>GetTimeSpan(path)</c>, with infinite allowed.</summary>
    public static TimeSpan Read(Config config, string path)
    {
        var text = config.GetString(path);
        return text is null ? TimeSpan.Zero : Parse(text);
    }

    /// <summary>Akka's <c>HoconValue.GetTimeSpan()</c> of <paramref name="text"/>; throws <see cref="FormatException"/> as it does.</summary>
    public static TimeSpan Parse(string text)
    {
        if (SplitValueAndUnit(text) is var (value, unit))
        {
            var amount = ParsePositive(value);
            return unit switch
            {
                0 => TimeSpan.FromTicks((long)Math.Round(TimeSpan.TicksPerMillisecond * amount / 1_000_000.0)),
                1 => TimeSpan.FromTicks((long)Math.Round(TimeSpan.TicksPerMillisecond * amount / 1_000.0)),
                2 => TimeSpan.FromMilliseconds(amount),
                3 => TimeSpan.FromSeconds(amount),
                4 => TimeSpan.FromMinutes(amount),
                5 => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
        }
        if (text.Equals("infinite", StringComparison.OrdinalIgnoreCase)) return Timeout.InfiniteTimeSpan;
        return TimeSpan.FromMilliseconds(ParsePositive(text));
    }

    /// <summary>
    /// What <c>^(?&lt;value&gt;([0-9]+(\.[0-9]+)?))\s*(?&lt;unit&gt;(…))$</c> matches: the number's text and the unit's
    /// kind (0 nanoseconds … 6 days), or null. <c>$</c> also matches before a final line feed.
    /// </summary>
    private static (string Value, int Unit)? SplitValueAndUnit(string text)
    {
        var end = text.EndsWith('\n') ? text.Length - 1 : text.Length;
        var i = 0;
        while (i < end && char.IsAsciiDigit(text[i])) i++;
        if (i == 0) return null;
        if (i + 1 < end && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            i++;
            while (i < end && char.IsAsciiDigit(text[i])) i++;
        }
        var value = text[..i];
        while (i < end && char.IsWhiteSpace(text[i])) i++;
        var rest = text.AsSpan(i, end - i);
        foreach (var (unit, kind) in Units)
            if (rest.SequenceEqual(unit)) return (value, kind);
        return null;
    }

    private static double ParsePositive(string text)
    {
        var value = double.Parse(text, NumberFormatInfo.InvariantInfo);
        if (value < 0) throw new FormatException($"Expected a positive value instead of {value}");
        return value;
    }
}
