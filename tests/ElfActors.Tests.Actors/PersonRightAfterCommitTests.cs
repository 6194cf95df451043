using Akka.Actor;
using Akka.TestKit;
using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A person's git that runs the moment the committer's commit is made, before the committer has heard of it (what a
/// loaded machine does to a command typed a few milliseconds after the host's commit).
/// <para>
/// A person's move back past the committer's own commit, made before the committer looks at the tip again, is seen as a
/// move: the commit's records are committed again, not left unreachable until a restart (docs/adr/0056). The person's
/// `git reset --hard HEAD~1` runs the moment the commit is made, before the committer has heard of it (what a loaded
/// machine does to a reset typed a few milliseconds after the host's commit); no git runs while the committer commits.
/// </para>
/// </summary>
public sealed class PersonRightAfterCommitTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(ElfHocon.Default, output: output)
{
    private static string[] TipFiles(TempMemory memory) =>
        Tools.Git(memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A committer on the memory whose index writer is a probe that stores every mark and answers at once.</summary>
    private IActorRef StartCommitter(TempMemory memory, ElfSettings settings, GitFaultPlan plan)
    {
        MemoryBootstrap.Prepare(memory.Paths, settings.Index, settings.FsyncFiles);
        string identity;
        using (var index = MemoryIndex.Open(memory.Paths, settings.Index)) identity = index.Identity;
        var indexWriter = CreateTestProbe();
        indexWriter.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is IndexWriterProtocol.MarkCommitted m)
            {
                using (var index = MemoryIndex.Open(memory.Paths, settings.Index)) index.MarkEntriesCommitted(m.OutboxIds, m.CommitId, m.At);
                sender.Tell(new IndexWriterProtocol.MarkedCommitted(m.OutboxIds, null));
            }
            else if (message is IndexWriterProtocol.CheckIndexFile) sender.Tell(new IndexWriterProtocol.IndexInPlace(identity));
            return AutoPilot.KeepRunning;
        }));
        return Sys.ActorOf(GitCommitterActor.Props(memory.Paths, settings, plan.Factory, indexWriter.Ref, new ElfMonitor(), TimeProvider.System));
    }

    /// <summary>A record's row, outbox entry and file, as its recorder leaves them; the committer is told.</summary>
    private static InsertOutcome.Inserted Record(TempMemory memory, ElfSettings settings, IActorRef committer, string title, string requestId)
    {
        LearningValidator.Validate(Support.Failures.Input(1, title), out var failure);
        InsertOutcome.Inserted record;
        using (var index = MemoryIndex.Open(memory.Paths, settings.Index))
            record = (InsertOutcome.Inserted)index.InsertRecords(
                [new RecordInsert(requestId, new LearningDraft(failure!, DateOnly.FromDateTime(DateTime.Now)))], DateTimeOffset.UtcNow)[0];
        File.WriteAllText(memory.Paths.Absolute(record.RelativePath), record.Content);
        committer.Tell(new CommitterProtocol.RecordPlaced(OutboxTables.Learnings, record.RecordId));
        return record;
    }

    [Fact]
    public void A_reset_to_the_commit_before_the_committers_own_made_before_its_next_look_has_the_records_committed_again()
    {
        using var memory = new TempMemory();
        Tools.Git(memory.BasePath, "init", "-q");
        File.WriteAllText(Path.Combine(memory.BasePath, "notes.txt"), "the person's notes\n");
        Tools.GitAsPerson(memory.BasePath, "add", "notes.txt");
        Tools.GitAsPerson(memory.BasePath, "commit", "-qm", "person: notes");
        var before = Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim();
        var settings = ElfSettings.Default;

        string? thrownAway = null;
        using var reset = new ManualResetEventSlim();
        var plan = new GitFaultPlan
        {
            AfterCommit = (call, commit) =>
            {
                if (call != 1) return;
                thrownAway = commit;
                Tools.GitAsPerson(memory.BasePath, "reset", "-q", "--hard", "HEAD~1");
                reset.Set();
            },
        };
        var committer = StartCommitter(memory, settings, plan);

        var record = Record(memory, settings, committer, "Own commit 1", "own-1");

        Assert.True(reset.Wait(TimeSpan.FromSeconds(20)), "the committer made no commit");
        // The record ends at the tip again, on the person's reset (read with git and sqlite3, not through the committer).
        AwaitCondition(() => TipFiles(memory).Contains(record.RelativePath), TimeSpan.FromSeconds(20));
        Assert.NotNull(thrownAway);
        // Committed again on the person's commit, the one the reset went back to. (The new commit may be the thrown-away
        // one byte for byte: the same tree, parent, message and second.)
        Assert.Equal(before, Tools.Git(memory.BasePath, "rev-parse", "HEAD~1").Trim());
        Assert.Contains("reset: moving to HEAD~1", Tools.Git(memory.BasePath, "reflog", "-n", "2"));
        AwaitCondition(() => Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL") == 0, TimeSpan.FromSeconds(20));
        Assert.Equal(1, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox"));
        Sys.Stop(committer);
    }

    /// <summary>
    /// A person's checkout of another branch removes the host's files of the branch it leaves, on purpose: the committer
    /// does not write them back (they would be untracked files on the other branch, and the person's checkout back
    /// would fail: "untracked working tree files would be overwritten").
    /// </summary>
    [Fact]
    public async Task A_checkout_of_another_branch_right_after_the_commit_keeps_its_working_tree_and_the_checkout_back_succeeds()
    {
        using var memory = new TempMemory();
        Tools.Git(memory.BasePath, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(memory.BasePath, "notes.txt"), "the person's notes\n");
        Tools.GitAsPerson(memory.BasePath, "add", "notes.txt");
        Tools.GitAsPerson(memory.BasePath, "commit", "-qm", "person: notes");
        var before = Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim();
        var settings = ElfSettings.Default;
        using var checkedOut = new ManualResetEventSlim();
        var plan = new GitFaultPlan
        {
            AfterCommit = (call, _) =>
            {
                if (call != 1) return;
                Tools.GitAsPerson(memory.BasePath, "checkout", "-q", "-b", "other", before);
                checkedOut.Set();
            },
        };
        var committer = StartCommitter(memory, settings, plan);

        var record = Record(memory, settings, committer, "Checked out 1", "checkout-1");
        Assert.True(checkedOut.Wait(TimeSpan.FromSeconds(20)), "the committer made no commit");
        await committer.Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(20)); // the batch handled

        // On the other branch the file is gone, as the checkout left it; the person's checkout back brings it (git's own).
        Assert.False(File.Exists(memory.Paths.Absolute(record.RelativePath)));
        Assert.Empty(Tools.Git(memory.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
        Tools.GitAsPerson(memory.BasePath, "checkout", "-q", "main");
        Assert.True(File.Exists(memory.Paths.Absolute(record.RelativePath)));
        Assert.Contains(record.RelativePath, TipFiles(memory));
        Assert.Empty(Tools.Git(memory.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
        Sys.Stop(committer);
    }
}
