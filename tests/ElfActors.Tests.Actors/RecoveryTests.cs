using ElfActors.Actors;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>What a crash leaves in the outbox is finished on the next start, and never committed twice.</summary>
public sealed class RecoveryTests
{
    private static IReadOnlyList<InsertOutcome> StoreWithoutFiles(TempMemory memory, int count)
    {
        MemoryBootstrap.Prepare(memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);
        using var index = MemoryIndex.Open(memory.Paths, ElfSettings.Default.Index);
        var date = DateOnly.FromDateTime(DateTime.Now);
        var inserts = Enumerable.Range(0, count).Select(i =>
        {
            LearningValidator.Validate(Failures.Input(i), out var failure);
            return new RecordInsert($"crashed-{i}", new LearningDraft(failure!, date));
        }).ToList();
        return index.InsertRecords(inserts, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Rows_stored_before_a_crash_get_their_files_and_commits_on_the_next_start()
    {
        using var memory = new TempMemory();
        // As if the process died after the SQLite commit and before the files were renamed into place.
        var stored = StoreWithoutFiles(memory, 3).Cast<InsertOutcome.Inserted>().ToList();
        Assert.All(stored, s => Assert.False(File.Exists(memory.Paths.Absolute(s.RelativePath))));

        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        await host.FlushAsync();

        var records = stored.Select(s => new Recorded(s.RecordId, s.RelativePath, false)).ToList();
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
        var content = Tools.Sqlite(memory.DatabasePath, $"SELECT content FROM elf_outbox WHERE row_id = {stored[0].RecordId}").Single()[0];
        Assert.Equal(content, File.ReadAllText(memory.Paths.Absolute(stored[0].RelativePath)));
    }

    [Fact]
    public async Task Records_committed_just_before_a_crash_are_marked_not_committed_again()
    {
        using var memory = new TempMemory();
        var stored = StoreWithoutFiles(memory, 2).Cast<InsertOutcome.Inserted>().ToList();
        MemoryBootstrap.Prepare(memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false); // places the files
        // The previous committer made the commit and died before marking the outbox.
        using (var index = MemoryIndex.Open(memory.Paths, ElfSettings.Default.Index))
        using (var git = new GitStore(memory.Paths))
            git.CommitFiles(stored.Select(s => s.RelativePath).ToList(), CommitMessage.For(index.ReadPending(10)));
        Assert.Equal(2, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));

        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        await host.FlushAsync();

        Assert.Single(GitHistory.Log(memory.BasePath));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, stored.Select(s => new Recorded(s.RecordId, s.RelativePath, false)).ToList());
    }
}
