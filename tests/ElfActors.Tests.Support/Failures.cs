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

    /// <summary>
    /// A learning as the index writer takes it (what a recorder hands it after validating): <paramref name="title"/> with
    /// fixed other fields, dated <paramref name="on"/>. Throws if the input does not validate.
    /// </summary>
    public static ElfActors.Core.Storage.RecordInsert LearningInsert(string requestId, string title, DateOnly on)
    {
        var errors = LearningValidator.Validate(new LearningInput(title, "domain", "high", "x,y", "summary"), out var learning);
        if (learning is null) throw new ArgumentException("invalid learning: " + string.Join("; ", errors));
        return new(requestId, new ElfActors.Core.Records.Kinds.LearningDraft(learning, on));
    }
}

/// <summary>A clock frozen at one instant, so that file names (which carry the date) are predictable.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
