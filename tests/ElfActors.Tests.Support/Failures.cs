using ElfActors.Core.Records;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Support;

public static class Failures
{
    public static LearningInput Input(int i, string? title = null) => new(
        Title: title ?? $"Failure number {i}",
        Domain: "testing",
        Severity: (i % 5 + 1).ToString(),
        Tags: "a,b",
        Summary: $"Summary of failure {i}\nwith a second line");

    public static RecordRequest Request(int i, string? title = null, string? requestId = null) =>
        new(requestId ?? $"req-{i}-{Guid.NewGuid():N}", Input(i, title));
}

/// <summary>A clock frozen at one instant, so that file names (which carry the date) are predictable.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
