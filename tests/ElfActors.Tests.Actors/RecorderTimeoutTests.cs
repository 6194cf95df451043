using Akka.Actor;
using Failures = ElfActors.Tests.Support.Failures;
using ElfActors.Actors;
using ElfActors.Core.Files;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.IndexWriterProtocol;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A recorder that gave up waiting for the index writer has answered its client, but the row may still be
/// stored afterwards: it must then still place the file and ring the committer, so no row is left without a file.
/// </summary>
public sealed class RecorderTimeoutTests(ITestOutputHelper output)
{
    private const string ShortTimeouts = """
        elf.recorder.reply-timeout = 300ms
        elf.committer.orphan-grace = 2s
        """;

    [Fact]
    public async Task A_row_stored_after_the_reply_timed_out_still_gets_its_file_and_is_committed()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, ShortTimeouts);
        var kit = host.Kit(output);
        var (client, indexWriter, committer) = (kit.CreateTestProbe(), kit.CreateTestProbe(), kit.CreateTestProbe());
        var recorder = host.System.ActorOf(RecorderActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config),
            indexWriter, committer, new ElfMonitor(), TimeProvider.System));

        recorder.Tell(Failures.Request(1, "Slow index"), client);
        var insert = indexWriter.ExpectMsg<InsertRecord>().Insert;
        Assert.Contains("timed out", client.ExpectMsg<Failed>(TimeSpan.FromSeconds(5)).Reason);

        // The index writer got there in the end: the row exists, so its file must too.
        const string path = "memory/failures/20261128_slow-index.md";
        recorder.Tell(new InsertReply(new InsertOutcome.Inserted(42, path, insert.Draft.Render(42))), indexWriter);

        Assert.Equal(new CommitterProtocol.RecordPlaced(OutboxTables.Learnings, 42), committer.ExpectMsg<CommitterProtocol.RecordPlaced>());
        Assert.Contains("# Slow index", File.ReadAllText(memory.Paths.Absolute(path)));
        Assert.DoesNotContain(Directory.EnumerateFiles(memory.FailuresDirectory), f => AtomicFile.IsTempName(Path.GetFileName(f)));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_recorder_whose_insert_never_answers_writes_nothing_and_stops_after_the_orphan_grace()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, ShortTimeouts);
        var kit = host.Kit(output);
        var (client, indexWriter, committer) = (kit.CreateTestProbe(), kit.CreateTestProbe(), kit.CreateTestProbe());
        var recorder = host.System.ActorOf(RecorderActor.Props(memory.Paths, ElfSettings.From(host.System.Settings.Config),
            indexWriter, committer, new ElfMonitor(), TimeProvider.System));
        kit.Watch(recorder);

        recorder.Tell(Failures.Request(1, "Never answered"), client);
        indexWriter.ExpectMsg<InsertRecord>();
        client.ExpectMsg<Failed>(TimeSpan.FromSeconds(5));
        Assert.Empty(Directory.EnumerateFiles(memory.FailuresDirectory)); // nothing is written before the row

        kit.ExpectTerminated(recorder, TimeSpan.FromSeconds(10));
        Assert.Empty(Directory.EnumerateFiles(memory.FailuresDirectory));
        committer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
