using Akka.Actor;
using Akka.Configuration;
using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Core.Git;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A committer that cannot commit says what it waits for (elf status), and one that waits with records pending for
/// longer than <c>elf.committer.stall-warning</c>, with no person's git or lock to name, warns once with its whole state
/// (docs/adr/0056). Here the wait is the index writer's answer to a mark that never comes, after a person moved the
/// branch: the reachability check waits for the marks, so nothing is committed.
/// </summary>
public sealed class CommitterStallTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(ElfHocon.Default, output: output)
{
    /// <summary>A record's row and outbox entry and its whole file, as its recorder leaves them.</summary>
    private static InsertOutcome.Inserted Store(TempMemory memory, int i)
    {
        LearningValidator.Validate(Support.Failures.Input(i, "Stall " + i), out var failure);
        using var index = MemoryIndex.Open(memory.Paths, ElfSettings.Default.Index);
        var inserted = (InsertOutcome.Inserted)index.InsertRecords(
            [new RecordInsert("stall-" + i, new LearningDraft(failure!, DateOnly.FromDateTime(DateTime.Now)))], DateTimeOffset.UtcNow)[0];
        File.WriteAllText(memory.Paths.Absolute(inserted.RelativePath), inserted.Content);
        return inserted;
    }

    [Fact]
    public void A_committer_whose_mark_never_comes_back_says_so_and_warns_of_the_stall()
    {
        using var memory = new TempMemory();
        Tools.Git(memory.BasePath, "init", "-q");
        File.WriteAllText(Path.Combine(memory.BasePath, "notes.txt"), "the person's notes\n");
        Tools.GitAsPerson(memory.BasePath, "add", "notes.txt");
        Tools.GitAsPerson(memory.BasePath, "commit", "-qm", "person: notes");
        var settings = ElfSettings.From(ConfigurationFactory.ParseString("""
            elf.committer.sweep-interval = 100ms
            elf.committer.stall-warning = 3s
            """));
        MemoryBootstrap.Prepare(memory.Paths, settings.Index, settings.FsyncFiles);
        string identity;
        using (var index = MemoryIndex.Open(memory.Paths, settings.Index)) identity = index.Identity;
        var indexWriter = CreateTestProbe();
        var monitor = new ElfMonitor();
        var committer = Sys.ActorOf(GitCommitterActor.Props(memory.Paths, settings, GitStore.Factory, indexWriter.Ref, monitor, TimeProvider.System));
        indexWriter.ExpectMsg<IndexWriterProtocol.CheckIndexFile>(TimeSpan.FromSeconds(20));
        indexWriter.Reply(new IndexWriterProtocol.IndexInPlace(identity));

        // A record committed; the index writer's answer to its mark never comes.
        var first = Store(memory, 1);
        committer.Tell(new CommitterProtocol.RecordPlaced(OutboxTables.Learnings, first.RecordId));
        var mark = (IndexWriterProtocol.MarkCommitted)indexWriter.FishForMessage(m => m is IndexWriterProtocol.MarkCommitted, TimeSpan.FromSeconds(20));
        Assert.Equal(mark.CommitId, Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim());

        // A person amends the host's commit (the branch no longer descends from it), and another record arrives: the
        // reachability check waits for the mark, so nothing is committed. Said once, naming the wait, 3 s after the commit.
        InsertOutcome.Inserted? second = null;
        EventFilter.Warning(contains: "the committer waits for the index writer to mark 1 committed records").ExpectOne(TimeSpan.FromSeconds(30), () =>
        {
            Tools.GitAsPerson(memory.BasePath, "commit", "-q", "--amend", "-m", "person: amended the host's commit");
            second = Store(memory, 2);
            committer.Tell(new CommitterProtocol.RecordPlaced(OutboxTables.Learnings, second.RecordId));
        });
        var amended = Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim();
        Assert.NotEqual(mark.CommitId, amended);
        AwaitCondition(() => monitor.CommitterState == "waiting for the index writer to mark 1 committed records", TimeSpan.FromSeconds(10));
        var tip = Tools.Git(memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD").Split('\n');
        Assert.DoesNotContain(second!.RelativePath, tip);
        Assert.Equal(2, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));

        // Once the mark comes back, the check runs and both records are at the tip: the stall ends.
        using (var index = MemoryIndex.Open(memory.Paths, settings.Index)) index.MarkEntriesCommitted(mark.OutboxIds, mark.CommitId, mark.At); // as the index writer does
        indexWriter.Send(committer, new IndexWriterProtocol.MarkedCommitted(mark.OutboxIds, null));
        AwaitCondition(() =>
        {
            var tip = Tools.Git(memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD").Split('\n');
            return tip.Contains(first.RelativePath) && tip.Contains(second.RelativePath);
        }, TimeSpan.FromSeconds(20));
        // The second record in a commit of its own on the person's amended commit, which keeps the first.
        Assert.Equal(amended, Tools.Git(memory.BasePath, "rev-parse", "HEAD~1").Trim());
        Assert.Equal(second!.RelativePath, Tools.Git(memory.BasePath, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD").Trim());
        Sys.Stop(committer);
    }

    [Fact]
    public void A_committer_that_took_its_index_for_overwritten_believes_the_index_writer_that_says_it_is_in_place()
    {
        using var memory = new TempMemory();
        using var other = new TempMemory();
        Tools.Git(memory.BasePath, "init", "-q");
        var settings = ElfSettings.From(ConfigurationFactory.ParseString("elf.committer.sweep-interval = 100ms"));
        MemoryBootstrap.Prepare(memory.Paths, settings.Index, settings.FsyncFiles);
        string identity;
        using (var index = MemoryIndex.Open(memory.Paths, settings.Index)) identity = index.Identity;
        Tools.Sqlite(memory.DatabasePath, "PRAGMA wal_checkpoint(TRUNCATE)");
        var original = File.ReadAllBytes(memory.DatabasePath);
        using (MemoryIndex.Open(other.Paths, settings.Index)) { }
        Tools.Sqlite(other.DatabasePath, "PRAGMA wal_checkpoint(TRUNCATE)");

        var indexWriter = CreateTestProbe();
        var monitor = new ElfMonitor();
        var committer = Sys.ActorOf(GitCommitterActor.Props(memory.Paths, settings, GitStore.Factory, indexWriter.Ref, monitor, TimeProvider.System));
        indexWriter.ExpectMsg<IndexWriterProtocol.CheckIndexFile>(TimeSpan.FromSeconds(20));
        indexWriter.Reply(new IndexWriterProtocol.IndexInPlace(identity));

        // Another index written over memory/index.db in place (same inode), and the committer looks: it takes its index for
        // overwritten, for good (a verdict its connection keeps), and asks the index writer.
        var inode = Tools.Run("stat", "/", "-c", "%i", memory.DatabasePath).Stdout;
        File.WriteAllBytes(memory.DatabasePath, File.ReadAllBytes(other.DatabasePath));
        committer.Tell(CommitterProtocol.RecordsWaiting.Instance);
        AwaitCondition(() => monitor.CommitterState.StartsWith("waiting for", StringComparison.Ordinal) && monitor.CommitterState.Contains("memory/index.db", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20));
        Output?.WriteLine("committer state: " + monitor.CommitterState);

        // What the committer read was not the index writer's verdict: the file holds this index again (here: its bytes put
        // back in place; in the field, a checkpoint that tore the committer's reads for longer than its confirming reads).
        File.WriteAllBytes(memory.DatabasePath, original);
        Assert.Equal(inode, Tools.Run("stat", "/", "-c", "%i", memory.DatabasePath).Stdout);
        Assert.Equal(identity, Tools.Sqlite(memory.DatabasePath, "SELECT value FROM elf_state WHERE name = 'index_id'").Single()[0]);
        var record = Store(memory, 3);

        // The index writer, the one owner of the index's identity, says this index is the one in place: the committer
        // commits the record (without believing it, it asked and waited for ever, 'waiting for memory/index.db to be put back').
        indexWriter.FishForMessage(m => m is IndexWriterProtocol.CheckIndexFile, TimeSpan.FromSeconds(20));
        indexWriter.Reply(new IndexWriterProtocol.IndexInPlace(identity));
        committer.Tell(new CommitterProtocol.RecordPlaced(OutboxTables.Learnings, record.RecordId));
        var mark = (IndexWriterProtocol.MarkCommitted)indexWriter.FishForMessage(m =>
        {
            if (m is IndexWriterProtocol.CheckIndexFile) indexWriter.Reply(new IndexWriterProtocol.IndexInPlace(identity));
            return m is IndexWriterProtocol.MarkCommitted;
        }, TimeSpan.FromSeconds(20));
        Assert.Equal(identity, mark.IndexIdentity);
        Assert.Equal(record.RelativePath, Tools.Git(memory.BasePath, "show", "--name-only", "--format=", mark.CommitId).Trim());
        Sys.Stop(committer);
    }
}
