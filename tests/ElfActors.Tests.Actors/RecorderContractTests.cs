using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>Rejected input writes nothing; a retried request returns the first record; a failed placement is undone.</summary>
public sealed class RecorderContractTests(ITestOutputHelper output)
{
    public static TheoryData<string?, string?, string?, string?, string> BadInputs => new()
    {
        { null, "domain", null, null, "title" },
        { "   \t ", "domain", null, null, "title" },
        { "\u001b[31m\u0007", "domain", null, null, "title" },
        { "🔥🔥🔥", "domain", null, null, "title" },
        { new string('t', 501), "domain", null, null, "title" },
        { "title", "", null, null, "domain" },
        { "title", new string('d', 101), null, null, "domain" },
        { "title", "domain", "0", null, "severity" },
        { "title", "domain", "6", null, "severity" },
        { "title", "domain", "abc", null, "severity" },
        { "title", "domain", null, new string('s', 50_001), "summary" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Rejected_input_gets_a_reason_naming_the_field_and_writes_nothing(
        string? title, string? domain, string? severity, string? summary, string field)
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);

        var reply = await host.RecordAsync(new RecordRequest(RequestId.New(), new LearningInput(title, domain, severity, "tag", summary)));

        var rejected = Assert.IsType<Rejected>(reply);
        Assert.Contains(rejected.Errors, e => e.Field == field);
        await host.FlushAsync();
        MemoryAssert.NothingWritten(memory);
    }

    [Fact]
    public async Task An_invalid_request_id_is_rejected_and_writes_nothing()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var reply = await host.RecordAsync(new RecordRequest("../../etc/passwd", Failures.Input(1)));
        Assert.Contains(Assert.IsType<Rejected>(reply).Errors, e => e.Field == "request-id");
        MemoryAssert.NothingWritten(memory);
    }

    [Fact]
    public async Task The_same_request_id_twice_returns_the_first_record()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);

        var first = Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(1, requestId: "retry-me")));
        await host.FlushAsync();
        // The retry carries different text: the first record still answers, and nothing new is written.
        var second = Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(2, "Another title", requestId: "retry-me")));

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.RecordId, second.RecordId);
        Assert.Equal(first.RelativePath, second.RelativePath);
        await host.FlushAsync();
        Assert.Equal(1, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Single(Directory.EnumerateFiles(memory.FailuresDirectory));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, [first]);
    }

    [Fact]
    public async Task The_same_request_id_sent_concurrently_makes_one_record()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var probe = host.Kit(output).CreateTestProbe();

        for (var i = 0; i < 50; i++) host.Recording.Tell(Failures.Request(i, requestId: "one-and-only"), probe.Ref);
        var replies = probe.ReceiveN(50, TimeSpan.FromSeconds(30)).Cast<Recorded>().ToList();

        Assert.Single(replies.Select(r => r.RecordId).Distinct());
        Assert.Single(replies, r => !r.Duplicate);
        await host.FlushAsync();
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, [replies.First(r => !r.Duplicate)]);
    }

    [Fact]
    public async Task A_file_that_cannot_be_placed_takes_its_row_back_before_the_caller_hears_of_it()
    {
        using var memory = new TempMemory();
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        await using var host = await ElfTestHost.StartAsync(memory.Paths, clock: clock);
        // A directory squats on the name the record will be given: the rename into place fails.
        Directory.CreateDirectory(Path.Combine(memory.FailuresDirectory, "20261128_squatted.md"));

        var reply = await host.RecordAsync(Failures.Request(1, "Squatted"));

        Assert.Contains("cannot place", Assert.IsType<Failed>(reply).Reason);
        await host.FlushAsync();
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox"));
        Assert.Equal(["20261128_squatted.md"], Directory.EnumerateFileSystemEntries(memory.FailuresDirectory).Select(Path.GetFileName));
        Assert.Empty(GitHistory.Log(memory.BasePath));
    }
}
