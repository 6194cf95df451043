using System.Text.Json;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// A cold `elf record-failure` is acknowledged by the host's socket before its actor system is up (docs/adr/0053), and
/// nothing acknowledged then is lost, doubled or missed by the committer: real processes, real git repositories and
/// SQLite files in temp folders, checked with sqlite3, the files and `git log`. Which phase answered is read from the
/// host's start trace ($ELF_START_TRACE), whose lines name the phases in the order they happened ("response ready" is
/// written before the answer is sent, so it is in the file by the time the client has its answer).
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class EarlyRecordingTests(PublishedElf elf, ITestOutputHelper output)
{
    private static Recorded Parse(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var record = json.RootElement.GetProperty("record");
        return new Recorded(record.GetProperty("id").GetInt64(), record.GetProperty("path").GetString()!, record.GetProperty("duplicate").GetBoolean());
    }

    private Task<ProcessResult> Record(string basePath, string title, string trace, params string[] more) =>
        elf.RunAsync(["record-failure", "--base", basePath, "--title", title, "--domain", "early", "--summary", "cold", "--json", .. more],
            new Dictionary<string, string> { ["ELF_START_TRACE"] = trace });

    /// <summary>The phases of the trace's lines, in order.</summary>
    private static List<string> Phases(string trace) =>
        File.Exists(trace) ? File.ReadAllLines(trace).Select(line => line[(line.IndexOf("] ", StringComparison.Ordinal) + 2)..].Trim()).ToList() : [];

    /// <summary>How many requests were answered before the actors took over the socket.</summary>
    private static int AnsweredBeforeHandOff(List<string> phases)
    {
        var handOff = phases.IndexOf("handed off to the actors");
        return phases.Take(handOff < 0 ? phases.Count : handOff).Count(p => p == "response ready");
    }

    private static string Describe(int pid)
    {
        try { return $"ppid {File.ReadAllText($"/proc/{pid}/stat").Split(' ')[3]}, exe {new FileInfo($"/proc/{pid}/exe").LinkTarget}"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "gone"; }
    }

    private static string HostLog(string basePath)
    {
        var log = Path.Combine(basePath, "memory", ".elf", "host.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(none)";
    }

    [Fact]
    public async Task A_cold_record_is_acknowledged_before_the_actor_system_is_up_and_flush_commits_it()
    {
        await using var served = new ServedMemory(elf);
        Tools.Git(served.Base, "init", "-q", "-b", "main");
        var trace = served.StartTrace;
        try
        {
            var record = Parse(await Record(served.Base, "Cold and early", trace));

            // Durable at the acknowledgement: its row and outbox entry, its file (read with sqlite3 and the file system).
            Assert.Equal(1, Tools.SqliteScalar(served.Memory.DatabasePath, $"SELECT COUNT(*) FROM learnings WHERE id = {record.RecordId} AND title = 'Cold and early'"));
            Assert.True(File.Exists(Path.Combine(served.Base, record.RelativePath)));
            var phases = Phases(trace);
            output.WriteLine(string.Join("\n", phases));
            // Answered before the actor system had started, through the same socket the actors then serve.
            var answered = phases.IndexOf("response ready");
            Assert.True(answered >= 0, "the host wrote no start trace");
            var actorsUp = phases.IndexOf("actor system started");
            Assert.True(actorsUp < 0 || answered < actorsUp, "the record was answered after the actor system started:\n" + string.Join("\n", phases));

            var flush = await elf.RunAsync("flush", "--base", served.Base);
            Assert.True(flush.ExitCode == 0, flush.ToString());
            MemoryAssert.EveryRecordLandedExactlyOnce(served.Memory, [record]);
            Assert.Contains("Cold and early", Tools.Git(served.Base, "log", "-1", "--format=%B"));
        }
        finally
        {
            File.Delete(trace);
        }
    }

    [Fact]
    public async Task Fifty_cold_writers_racing_the_hand_off_land_once_each_and_retries_across_it_return_the_first_record()
    {
        await using var served = new ServedMemory(elf);
        Tools.Git(served.Base, "init", "-q", "-b", "main");
        var trace = served.StartTrace;
        try
        {
            var ids = Enumerable.Range(0, 50).Select(i => $"early-race-{i:D2}-{Guid.NewGuid():N}").ToList();
            // 50 processes started at once with no host: one host starts; some are answered before the hand-off, some after.
            var first = Enumerable.Range(0, 50).Select(i => Record(served.Base, $"Race {i}", trace, "--request-id", ids[i])).ToList();
            // Each retried as soon as any first answer is in: the retries meet the host around its hand-off.
            await Task.WhenAny(first);
            var retries = Enumerable.Range(0, 50).Select(i => Record(served.Base, $"Race {i}", trace, "--request-id", ids[i])).ToList();
            var records = (await Task.WhenAll(first)).Select(Parse).ToList();
            var retried = (await Task.WhenAll(retries)).Select(Parse).ToList();

            var hosts = PublishedElf.HostPids(served.Base).Select(pid => $"{pid}: {Describe(pid)}").ToList();
            Assert.True(hosts.Count == 1, $"{hosts.Count} host processes ({string.Join("; ", hosts)}); host.log:\n{HostLog(served.Base)}");
            // Every answer may have come before the hand-off: flush waits for the actors, and the trace's line follows.
            var flush = await elf.RunAsync("flush", "--base", served.Base);
            Assert.True(flush.ExitCode == 0, flush.ToString());
            var phases = Phases(trace);
            for (var i = 0; i < 300 && !phases.Contains("handed off to the actors"); i++)
            {
                await Task.Delay(100);
                phases = Phases(trace);
            }
            output.WriteLine(string.Join("\n", phases));
            Assert.Contains("handed off to the actors", phases);
            Assert.True(AnsweredBeforeHandOff(phases) > 0, "no request was answered before the hand-off:\n" + string.Join("\n", phases));
            for (var i = 0; i < 50; i++)
            {
                // The same record, exactly one of the two answers the first (the retry's process may have run first).
                Assert.Equal(records[i].RecordId, retried[i].RecordId);
                Assert.Equal(records[i].RelativePath, retried[i].RelativePath);
                Assert.True(records[i].Duplicate != retried[i].Duplicate, $"request {i}: both answers say duplicate={records[i].Duplicate}");
            }

            Assert.Equal(50, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
            Assert.Equal(50, Directory.EnumerateFiles(served.Memory.FailuresDirectory).Count());
            MemoryAssert.EveryRecordLandedExactlyOnce(served.Memory, records);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    [Trait("Category", "FaultMatrix")]
    [Fact]
    public async Task Kill_9_of_the_host_before_its_hand_off_loses_nothing_acknowledged_and_the_next_start_commits_it()
    {
        await using var served = new ServedMemory(elf);
        Tools.Git(served.Base, "init", "-q", "-b", "main");
        var trace = served.StartTrace;
        var acknowledged = new List<Recorded>();
        var killedEarly = 0;
        try
        {
            // Killed the moment its first record is acknowledged: on two cores the actor system is still starting then,
            // which the trace shows (no hand-off before the kill); a round whose host handed off first proves nothing
            // about the early phase and is not counted.
            for (var round = 0; round < 5 && killedEarly == 0; round++)
            {
                File.Delete(trace);
                acknowledged.Add(Parse(await Record(served.Base, $"Killed early {round}", trace)));
                foreach (var pid in PublishedElf.HostPids(served.Base)) Tools.Run("kill", served.Base, "-9", pid.ToString());
                for (var i = 0; i < 200 && PublishedElf.HostProcesses(served.Base) > 0; i++) await Task.Delay(25);
                var phases = Phases(trace);
                output.WriteLine($"round {round}:\n" + string.Join("\n", phases));
                // Killed in the early phase: the record answered, the hand-off never reached.
                if (phases.Contains("response ready") && !phases.Contains("handed off to the actors")) killedEarly++;
            }
            Assert.True(killedEarly > 0, "every host handed off before the kill: the early phase was never killed");

            // Nothing acknowledged is lost: rows and files are there before any host runs again (sqlite3, files).
            foreach (var record in acknowledged)
            {
                Assert.Equal(1, Tools.SqliteScalar(served.Memory.DatabasePath, $"SELECT COUNT(*) FROM learnings WHERE id = {record.RecordId}"));
                Assert.True(File.Exists(Path.Combine(served.Base, record.RelativePath)));
            }
            // The next start (flush starts a host) commits them, each once.
            var flush = await elf.RunAsync("flush", "--base", served.Base);
            Assert.True(flush.ExitCode == 0, flush.ToString());
            MemoryAssert.EveryRecordLandedExactlyOnce(served.Memory, acknowledged);
            Tools.Git(served.Base, "fsck", "--strict"); // throws unless the repository is sound
        }
        finally
        {
            File.Delete(trace);
        }
    }
}
