using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.IndexWriterProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// What one record on a warm host no longer waits for (docs/adr/0065): the WAL checkpoint, which the index writer runs
/// itself in a pause between records, or past a cap right after its answers (its commits never do, MemoryIndexTests), and
/// two new threads for the recorders after each pause of a second between records.
/// </summary>
public sealed class HotPathTests(ITestOutputHelper output)
{
    private static RecordInsert Insert(string requestId, string title) => Support.Failures.LearningInsert(requestId, title, new DateOnly(2026, 12, 5));

    /// <summary>The learnings in memory/index.db itself, not its WAL: read by sqlite3 as an immutable file.</summary>
    private static long RowsInMainFile(string database)
    {
        var (code, stdout, stderr) = Tools.Run("sqlite3", "/", "-readonly", "-batch", "-noheader",
            new Uri(database).AbsoluteUri + "?immutable=1", "SELECT COUNT(*) FROM learnings");
        Assert.True(code == 0, stderr);
        return long.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long WalBytes(string database) => new FileInfo(database + "-wal") is { Exists: true } wal ? wal.Length : 0;

    [Fact]
    public async Task The_index_writer_checkpoints_the_wal_itself_in_a_pause_or_past_its_cap_and_keeps_it_bounded()
    {
        using var hostMemory = new TempMemory();
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(hostMemory.Paths);
        var probe = host.Kit(output).CreateTestProbe();
        var writer = host.System.ActorOf(IndexWriterActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config), TimeProvider.System));

        // One record at a time and back to back, as agents' records come in a busy minute: twice past the cap, then the
        // threshold's worth more, which only a pause checkpoints.
        const int cap = IndexWriterActor.CheckpointAtMostAfterRecords;
        const int records = 2 * cap + IndexWriterActor.CheckpointAfterRecords;
        // What a record adds to the WAL, from the first records (none is checkpointed before the threshold).
        const int sample = IndexWriterActor.CheckpointAfterRecords / 2;
        double perRecord = 0;
        long largestWal = 0;
        for (var i = 0; i < records; i++)
        {
            writer.Tell(new InsertRecord(Insert($"r{i}", $"Record {i}")), probe);
            Assert.IsType<InsertOutcome.Inserted>(probe.ExpectMsg<InsertReply>(TimeSpan.FromSeconds(10)).Outcome);
            if (i == sample - 1) perRecord = WalBytes(memory.DatabasePath) / (double)sample;
            largestWal = Math.Max(largestWal, WalBytes(memory.DatabasePath));
        }
        output.WriteLine($"WAL {perRecord:0} bytes a record over the first {sample}, at most {largestWal} bytes over {records}");

        // Checkpointed at the cap at the latest (sooner in a pause: a loaded machine makes some), the WAL was written again
        // from its start: at most about the cap's records' worth. Never checkpointed, it would have held all 720 (2.25 times that).
        Assert.True(largestWal < perRecord * cap * 1.5, $"the WAL grew to {largestWal} bytes ({perRecord:0} a record): not checkpointed");
        // The last records reach the main file in the pause after them.
        probe.AwaitCondition(() => RowsInMainFile(memory.DatabasePath) == records, TimeSpan.FromSeconds(20));
        Assert.Equal(records, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
    }

    /// <summary>Answers with the Linux thread it runs on (/proc/thread-self), then stops: one actor on a dispatcher, and none after it.</summary>
    private sealed class ThreadReporter : ReceiveActor
    {
        public ThreadReporter()
        {
            ReceiveAny(_ =>
            {
                Sender.Tell(Path.GetFileName(new FileInfo("/proc/thread-self").LinkTarget!));
                Context.Stop(Self);
            });
        }
    }

    private static string ThreadOfARecorder(ActorSystem system, Akka.TestKit.TestProbe probe)
    {
        system.ActorOf(Props.Create(() => new ThreadReporter()).WithDispatcher(ElfSettings.RecorderDispatcher)).Tell("where", probe);
        return probe.ExpectMsg<string>(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_recorders_threads_outlive_a_pause_between_records()
    {
        if (!OperatingSystem.IsLinux()) return; // reads /proc
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var probe = host.Kit(output).CreateTestProbe();

        var first = ThreadOfARecorder(host.System, probe);
        var threadsThen = Directory.GetDirectories("/proc/self/task").Select(Path.GetFileName).ToHashSet();
        Assert.Contains(first, threadsThen);

        // The pause is what is tested: longer than Akka's default shutdown-timeout (1 s), after which a dispatcher with
        // no actors left stops its threads, and the next recorder waited for two new ones.
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var second = ThreadOfARecorder(host.System, probe);
        Assert.True(threadsThen.Contains(second), $"the recorder after the pause ran on a new thread ({second}; the first ran on {first})");
    }
}
