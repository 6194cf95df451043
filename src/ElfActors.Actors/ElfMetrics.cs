using System.Diagnostics.Metrics;

namespace ElfActors.Actors;

/// <summary>
/// ElfActors' instruments (meter "ElfActors"), for any System.Diagnostics.Metrics listener:
/// dotnet-counters, OpenTelemetry, or a test's MeterListener.
/// </summary>
public static class ElfMetrics
{
    public const string MeterName = "ElfActors";
    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> RecordsAcknowledged =
        Meter.CreateCounter<long>("elf.records.acknowledged", "{record}", "Records stored (row, outbox entry, file) and acknowledged");

    public static readonly Counter<long> IndexCheckpoints =
        Meter.CreateCounter<long>("elf.index.checkpoints", "{checkpoint}", "WAL checkpoints of memory/index.db by the index writer, after the answers (docs/adr/0065)");

    public static readonly Counter<long> RecordsRejected =
        Meter.CreateCounter<long>("elf.records.rejected", "{record}", "Requests refused for invalid input");

    public static readonly Counter<long> RecordsFailed =
        Meter.CreateCounter<long>("elf.records.failed", "{record}", "Requests that failed for environmental reasons");

    public static readonly Counter<long> RecordsCommitted =
        Meter.CreateCounter<long>("elf.records.committed", "{record}", "Records that reached a git commit");

    public static readonly Counter<long> Commits =
        Meter.CreateCounter<long>("elf.commits", "{commit}", "Git commits made");

    public static readonly Counter<long> CommitterRestarts =
        Meter.CreateCounter<long>("elf.committer.starts", "{start}", "Committer starts (the first one and every restart)");

    public static readonly Histogram<double> AckLatency =
        Meter.CreateHistogram<double>("elf.ack.latency", "ms", "From a recorder receiving a request to its acknowledgement");

    public static readonly Histogram<double> CommitLatency =
        Meter.CreateHistogram<double>("elf.commit.latency", "ms", "From a record entering the outbox to its commit");

    public static readonly Histogram<int> BatchSize =
        Meter.CreateHistogram<int>("elf.commit.batch_size", "{record}", "Records per git commit");

    /// <summary>
    /// A batch's time in each stage of its commit (tag <c>stage</c>): the committer's (check, read-pending, files, message,
    /// git, hand-off), the fast writer's inside git (git.blobs, git.trees, git.pack, git.index: git's new index built
    /// with no lock held, git.person-git, git.index-write: the time index.lock is held, git.branch, git.pack-merge,
    /// git.other), mark: from the commit to the index writer having stored its records' marks and announced it, and
    /// mark.write: the index writer's transaction alone. Two are CPU times, not wall times: cpu, the committer thread's
    /// for the whole batch (check to hand-off), and mark.cpu, the index writer's for the marks' transaction: what a batch
    /// cost its thread, whatever else the machine ran meanwhile (docs/adr/0062).
    /// </summary>
    public static readonly Histogram<double> CommitStage =
        Meter.CreateHistogram<double>("elf.commit.stage", "ms", "A batch's time in each stage of its commit (tag stage)");

    /// <summary>One batch's time in one stage of its commit (<see cref="CommitStage"/>).</summary>
    internal static void RecordStage(string stage, double milliseconds) =>
        CommitStage.Record(milliseconds, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>Counts a recorder's answer: acknowledged (with its latency since <paramref name="startedAt"/>), rejected or failed.</summary>
    public static void CountReply(RecordingProtocol.RecordReply reply, ElfMonitor monitor, long startedAt)
    {
        switch (reply)
        {
            case RecordingProtocol.Recorded:
                monitor.RecordAcknowledged();
                RecordsAcknowledged.Add(1);
                AckLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds);
                break;
            case RecordingProtocol.Rejected:
                RecordsRejected.Add(1);
                break;
            default:
                RecordsFailed.Add(1);
                break;
        }
    }
}
