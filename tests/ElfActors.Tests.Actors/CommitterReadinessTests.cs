using ElfActors.Core.Records.Kinds;
using ElfActors.Actors;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A recorder writes its file at the final name after the row is stored, so the committer can find a file that is
/// still being written: it must commit a record only once its file is complete (docs/adr/0010).
/// </summary>
public sealed class CommitterReadinessTests(ITestOutputHelper output)
{
    /// <summary>A record's row and outbox entry, stored as its recorder would, with no file written yet.</summary>
    private static (string Content, InsertOutcome.Inserted Inserted) StoreRowOnly(TempMemory memory, int i, string title)
    {
        LearningValidator.Validate(Failures.Input(i, title), out var failure);
        var day = DateOnly.FromDateTime(DateTime.Now);
        using var index = MemoryIndex.Open(memory.Paths, ElfSettings.Default.Index);
        var inserted = (InsertOutcome.Inserted)index.InsertRecords(
            [new RecordInsert("row-only-" + i, new LearningDraft(failure!, day))], DateTimeOffset.UtcNow)[0];
        return (inserted.Content, inserted);
    }

    [Fact]
    public async Task A_file_still_being_written_is_not_committed_until_it_holds_the_whole_record()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var kit = host.Kit(output);

        // What a recorder has done half-way: its row and outbox entry are stored, its file holds the first bytes.
        var (content, inserted) = StoreRowOnly(memory, 1, "Half written");
        var path = memory.Paths.Absolute(inserted.RelativePath);
        File.WriteAllText(path, content[..(content.Length / 2)]);

        host.Committer.Tell(CommitterProtocol.RecordsWaiting.Instance, Akka.Actor.ActorRefs.NoSender); // a doorbell from someone else: the batch runs
        await kit.AwaitConditionAsync(() => Task.FromResult(host.Options.Monitor.CommitterState == "waiting for 1 record files to be placed"),
            TimeSpan.FromSeconds(10));
        Assert.Empty(GitHistory.Log(memory.BasePath));

        File.WriteAllText(path, content); // the recorder's write completes
        await host.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(content, Tools.Git(memory.BasePath, "show", "HEAD:" + inserted.RelativePath));
        Assert.Single(GitHistory.Log(memory.BasePath));
    }

    [Fact]
    public async Task A_file_an_agent_edited_before_the_commit_is_committed_as_edited_once_its_recorder_rang()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var (_, inserted) = StoreRowOnly(memory, 2, "Edited early");
        const string edited = "# Edited early\n\nThe agent filled this in before the commit.\n";
        File.WriteAllText(memory.Paths.Absolute(inserted.RelativePath), edited);

        host.Committer.Tell(new CommitterProtocol.RecordPlaced(OutboxTables.Learnings, inserted.RecordId), Akka.Actor.ActorRefs.NoSender); // what its recorder sends once the file is written
        await host.FlushAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(edited, Tools.Git(memory.BasePath, "show", "HEAD:" + inserted.RelativePath));
    }
}
