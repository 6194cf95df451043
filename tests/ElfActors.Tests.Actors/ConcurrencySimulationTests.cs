using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>The seed's scenario on real temp repositories and SQLite files: many recorders at once, nothing lost.</summary>
public sealed class ConcurrencySimulationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task Every_concurrent_record_lands_in_the_db_a_file_and_exactly_one_commit(int writers)
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var probe = host.Kit(output).CreateTestProbe();

        // Every tenth record shares a title: same-day same-slug names must not overwrite each other.
        for (var i = 0; i < writers; i++)
            host.Recording.Tell(Failures.Request(i, i % 10 == 0 ? "Shared title" : null), probe.Ref);
        var replies = probe.ReceiveN(writers, TimeSpan.FromSeconds(120)).ToList();

        Assert.All(replies, reply => Assert.IsType<Recorded>(reply));
        await host.FlushAsync();
        var commits = MemoryAssert.EveryRecordLandedExactlyOnce(memory, replies.Cast<Recorded>().ToList());
        output.WriteLine($"{writers} records in {commits} commits");
        Assert.True(commits < writers, $"{commits} commits for {writers} records: the committer did not batch");
    }

    [Fact]
    public async Task Same_day_same_title_records_get_distinct_files_and_keep_their_own_content()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, clock: new FixedClock(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero)));
        var probe = host.Kit(output).CreateTestProbe();
        for (var i = 0; i < 5; i++) host.Recording.Tell(Failures.Request(i, "Same title"), probe.Ref);
        var replies = probe.ReceiveN(5, TimeSpan.FromSeconds(30)).Cast<Recorded>().ToList();

        Assert.Equal(
            ["20261128_same-title-2.md", "20261128_same-title-3.md", "20261128_same-title-4.md", "20261128_same-title-5.md", "20261128_same-title.md"],
            replies.Select(r => Path.GetFileName(r.RelativePath)).Order(StringComparer.Ordinal));
        foreach (var reply in replies)
        {
            // Each file holds the summary of the request that created it.
            var summaryLine = Tools.Sqlite(memory.DatabasePath, $"SELECT summary FROM learnings WHERE id = {reply.RecordId}").Single()[0];
            Assert.Contains(summaryLine, File.ReadAllText(Path.Combine(memory.BasePath, reply.RelativePath)));
        }
    }
}
