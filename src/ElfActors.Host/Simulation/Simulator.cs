using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Core.Audit;
using ElfActors.Core.Records;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Host.Simulation;

/// <summary>
/// N concurrent recorders against one memory, in this process, through the real wiring. Latencies are taken
/// where a caller sees them; the counts come from <see cref="MemoryAudit"/>, not from the actors.
/// </summary>
public static class Simulator
{
    private static readonly string[] Severities = ["low", "medium", "high", "critical", "1", "5"];

    /// <param name="offeredRate">Records per second to send at, open loop (each writer at its own due time, whether or
    /// not earlier ones were answered); 0 sends all writers in the same instant, a burst.</param>
    /// <param name="warmUp">Records sent the same way before the measured ones, and committed, so that the measure is of
    /// a running host (compiled code, open files, trees in memory), as agents find it. They are in the memory but
    /// not in the figures.</param>
    /// <param name="settleJit">After the warm-up, more of it in rounds until the tier-up JIT has settled (docs/adr/0077).</param>
    public static async Task<SimulationReport> RunAsync(MemoryPaths paths, int writers, TimeSpan timeout,
        TextWriter? progress, CancellationToken cancellation, double offeredRate = 0, int warmUp = 0, string? stageTimeline = null, bool settleJit = false)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        using var stages = new CommitStageListener();
        using var gcPauses = new GcPauseListener();
        using var host = EmbeddedHost.Build(new ElfActorsOptions { Paths = paths });
        await host.StartAsync(cancellation);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        var recording = await registry.GetAsync<ElfRecording>(cancellation);
        var committer = await registry.GetAsync<ElfCommitter>(cancellation);

        var committedAt = new ConcurrentDictionary<long, long>();
        var listener = system.ActorOf(Props.Create(() => new CommitListener(committedAt)));
        system.EventStream.Subscribe(listener, typeof(CommitterProtocol.RecordsCommitted));

        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var acknowledgedCount = 0;
        async Task<(long Sent, long Replied, RecordReply Reply)[]> SendAllAsync(int count, Func<int, RecordRequest> request)
        {
            var begun = Stopwatch.GetTimestamp();
            async Task<(long Sent, long Replied, RecordReply Reply)> WriteAsync(int i)
            {
                var sent = Stopwatch.GetTimestamp();
                RecordReply reply;
                try
                {
                    reply = await recording.Ask<RecordReply>(request(i), timeout, cancellation);
                }
                catch (AskTimeoutException)
                {
                    reply = new Failed("no reply within the timeout");
                }
                if (reply is Recorded) Interlocked.Increment(ref acknowledgedCount);
                return (Sent: sent, Replied: Stopwatch.GetTimestamp(), Reply: reply);
            }
            var writes = new Task<(long Sent, long Replied, RecordReply Reply)>[count];
            for (var i = 0; i < count; i++)
            {
                if (offeredRate > 0)
                {
                    // Due times are absolute: a late timer is caught up by the next writers, not carried forward.
                    var due = begun + (long)(i * Stopwatch.Frequency / offeredRate);
                    var wait = Milliseconds(due - Stopwatch.GetTimestamp());
                    if (wait >= 1) await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellation);
                }
                writes[i] = WriteAsync(i);
            }
            return await Task.WhenAll(writes);
        }

        var warmUpCommitted = true;
        var (jitRounds, jitSettled) = (0, false);
        if (warmUp > 0)
        {
            var warmed = await SendAllAsync(warmUp, i => new RecordRequest($"simulate-{run}-warm-up-{i}", WarmUpInput(run, i)));
            warmUpCommitted = await WaitForCommitsAsync(committer, warmed.Select(o => o.Reply).OfType<Recorded>().Select(r => r.RecordId),
                committedAt, deadline, cancellation);
            // Then rounds of a few records each, each followed by a pause, until a round leaves the tier-up JIT nothing
            // more to compile: the runtime promotes a method only once it has been called enough after a quiet spell of
            // its first-tier compilations, so a single warm-up left much of its tier-up work (a second of CPU on two cores)
            // to the first seconds of the measured records. A host that has been recording for a while has done it
            // (as `hotpath` waits for it, docs/adr/0069; docs/adr/0077).
            var quietRounds = 0;
            for (var round = 0; settleJit && warmUpCommitted && round < JitRoundsAtMost; round++)
            {
                var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
                var first = warmUp + round * JitRoundRecords;
                var settling = await SendAllAsync(JitRoundRecords, i => new RecordRequest($"simulate-{run}-warm-up-{first + i}", WarmUpInput(run, first + i)));
                warmUpCommitted = await WaitForCommitsAsync(committer, settling.Select(o => o.Reply).OfType<Recorded>().Select(r => r.RecordId),
                    committedAt, deadline, cancellation);
                await Task.Delay(JitRoundPause, cancellation);
                jitRounds = round + 1;
                // A quiet round may only mean that the runtime has not begun counting calls yet: three in a row.
                quietRounds = (System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalMilliseconds <= JitSettledMs ? quietRounds + 1 : 0;
                if (quietRounds == JitQuietRounds)
                {
                    jitSettled = true;
                    break;
                }
            }
            committedAt.Clear();
            acknowledgedCount = 0;
        }
        var jitAtStart = System.Runtime.JitInfo.GetCompilationTime();
        var jitMethodsAtStart = System.Runtime.JitInfo.GetCompiledMethodCount();
        using var progressCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var progressTask = progress is null ? Task.CompletedTask
            : ReportProgressAsync(progress, writers, () => Volatile.Read(ref acknowledgedCount), () => committedAt.Count, progressCancellation.Token);

        int[] Collections() => [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var gcBefore = Collections();
        var pauseBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var started = Stopwatch.GetTimestamp();
        stages.Begin();
        gcPauses.Begin();
        var outcomes = await SendAllAsync(writers, i => new RecordRequest($"simulate-{run}-{i}", Input(run, i)));

        var acknowledged = outcomes.Where(o => o.Reply is Recorded).ToList();
        var allCommitted = await WaitForCommitsAsync(committer, acknowledged.Select(o => ((Recorded)o.Reply).RecordId), committedAt, deadline, cancellation);
        var finished = Stopwatch.GetTimestamp();
        stages.End();
        gcPauses.End();
        var pauses = gcPauses.Pauses();
        if (stageTimeline is not null)
        {
            await using var timeline = new StreamWriter(stageTimeline);
            stages.WriteTimeline(timeline);
            // The clock the rows are on (Stopwatch's, CLOCK_MONOTONIC in ns on Linux), to line them up with samples taken
            // outside the process (/proc, a disk's counters).
            timeline.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"0,clock-at-begin,{started}"));
            // When the slow records were sent: per 100 ms of sending, the slowest acknowledgement and commit.
            foreach (var window in outcomes.Where(o => o.Reply is Recorded).GroupBy(o => (long)(Milliseconds(o.Sent - started) / 100)).OrderBy(g => g.Key))
            {
                timeline.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{window.Key * 100},sent-ack-max,{Math.Round(window.Max(o => Milliseconds(o.Replied - o.Sent)), 1)}"));
                var committed = window.Where(o => committedAt.ContainsKey(((Recorded)o.Reply).RecordId)).ToList();
                if (committed.Count > 0)
                    timeline.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"{window.Key * 100},sent-commit-max,{Math.Round(committed.Max(o => Milliseconds(committedAt[((Recorded)o.Reply).RecordId] - o.Sent)), 1)}"));
            }
            // Each commit as the simulator saw it announced, and its records: what the steady rate is computed from.
            foreach (var commit in Commits(committedAt.Values))
                timeline.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{Math.Round(Milliseconds(commit.At - started), 1)},committed,{commit.Records}"));
            // The collections' pauses on the same clock: "gc0", "gc1", "gc2" and the pause in ms.
            foreach (var pause in pauses)
                timeline.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{Math.Round(Milliseconds(pause.Start - started), 1)},gc{pause.Generation},{Math.Round(pause.Milliseconds, 2)}"));
        }
        var jitDuring = System.Runtime.JitInfo.GetCompilationTime() - jitAtStart;
        var jitMethodsDuring = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethodsAtStart;
        var gcDuring = Collections().Zip(gcBefore, (after, before) => after - before).ToArray();
        var pauseDuring = GC.GetTotalPauseDuration() - pauseBefore;
        var allocatedDuring = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        await progressCancellation.CancelAsync();
        await progressTask;
        await host.StopAsync(CancellationToken.None);

        var audit = MemoryAudit.Run(paths, acknowledged
            .Select(o => (Recorded)o.Reply)
            .Select(r => new AcknowledgedRecord(r.RecordId, r.RelativePath)).ToList());
        var ackLatencies = acknowledged.Select(o => Milliseconds(o.Replied - o.Sent)).ToArray();
        var commitLatencies = acknowledged
            .Where(o => committedAt.ContainsKey(((Recorded)o.Reply).RecordId))
            .Select(o => Milliseconds(committedAt[((Recorded)o.Reply).RecordId] - o.Sent)).ToArray();
        var afterAck = acknowledged
            .Where(o => committedAt.ContainsKey(((Recorded)o.Reply).RecordId))
            .Select(o => Math.Max(0, Milliseconds(committedAt[((Recorded)o.Reply).RecordId] - o.Replied))).ToArray();
        var wall = (finished - started) / (double)Stopwatch.Frequency;
        // How much of a record's wait for its commit was the whole process paused for a collection: for the slowest 1 %
        // (the records at or above the p99) and for all of them.
        var windows = acknowledged
            .Where(o => committedAt.ContainsKey(((Recorded)o.Reply).RecordId))
            .Select(o => (Latency: Milliseconds(committedAt[((Recorded)o.Reply).RecordId] - o.Sent), Sent: o.Sent, Committed: committedAt[((Recorded)o.Reply).RecordId]))
            .OrderBy(w => w.Latency).ToArray();
        var slowest = windows.Length == 0 ? [] : windows[Math.Clamp((int)Math.Ceiling(0.99 * windows.Length) - 1, 0, windows.Length - 1)..];
        double MeanPaused(IReadOnlyCollection<(double Latency, long Sent, long Committed)> some) =>
            some.Count == 0 ? 0 : Math.Round(some.Average(w => GcPauseListener.PausedWithin(pauses, w.Sent, w.Committed)), 1);

        return new SimulationReport
        {
            BasePath = paths.BasePath,
            Writers = writers,
            OfferedRate = offeredRate,
            WarmUp = warmUp,
            WarmUpJitRounds = jitRounds,
            WarmUpJitSettled = jitSettled,
            JitMsDuringRun = Math.Round(jitDuring.TotalMilliseconds, 1),
            JitMethodsDuringRun = jitMethodsDuring,
            Acknowledged = acknowledged.Count,
            Rejected = outcomes.Count(o => o.Reply is Rejected),
            Failed = outcomes.Count(o => o.Reply is Failed),
            SuccessRate = Percent(acknowledged.Count, writers),
            DbRows = audit.Rows,
            Files = audit.Files,
            RecordsInGit = audit.InExactlyOneCommit,
            RecordsNotInGit = audit.InNoCommit,
            RecordsInSeveralCommits = audit.InSeveralCommits,
            Commits = audit.Commits,
            StateConsistency = Percent(Math.Min(audit.Rows, audit.Files), writers),
            GitConsistency = Percent(audit.InExactlyOneCommit, writers),
            WorkingTreeClean = audit.WorkingTreeClean,
            AckP50Ms = Percentile(ackLatencies, 0.50),
            AckP99Ms = Percentile(ackLatencies, 0.99),
            CommitP50Ms = Percentile(commitLatencies, 0.50),
            CommitP99Ms = Percentile(commitLatencies, 0.99),
            CommitAfterAckP50Ms = Percentile(afterAck, 0.50),
            CommitAfterAckP99Ms = Percentile(afterAck, 0.99),
            WallSeconds = Math.Round(wall, 3),
            RecordsPerSecond = Math.Round(audit.InExactlyOneCommit / wall, 1),
            SteadyRecordsPerSecond = SteadyRate(committedAt.Values, started, finished, SentPerSecond(outcomes.Select(o => o.Sent)), audit.InExactlyOneCommit / wall),
            SteadyRecordsPerSecondBetweenEdgeCommits = SteadyRateBetweenEdgeCommits(committedAt.Values, started, finished),
            AllCommittedInTime = allCommitted && warmUpCommitted,
            GcCollections = gcDuring,
            GcPauseMs = Math.Round(pauseDuring.TotalMilliseconds, 1),
            GcPauses = pauses.GroupBy(p => p.Generation).OrderBy(g => g.Key)
                .Select(g => new GcPauseSummary(g.Key, g.Count(), Math.Round(g.Sum(p => p.Milliseconds), 1),
                    Percentile([.. g.Select(p => p.Milliseconds)], 0.5), Math.Round(g.Max(p => p.Milliseconds), 1),
                    g.GroupBy(p => p.ReasonName).OrderByDescending(r => r.Count()).Select(r => $"{r.Key}: {r.Count()}").ToList())).ToList(),
            CommitP99GcPausedMs = MeanPaused(slowest),
            CommitGcPausedMeanMs = MeanPaused(windows),
            AllocatedBytesPerRecord = writers > 0 ? allocatedDuring / writers : 0,
            BatchSizeMean = stages.Batches().Mean,
            BatchSizeMax = stages.Batches().Max,
            CommitStages = stages.Summary(),
            Errors = outcomes.Select(o => o.Reply).Where(r => r is not Recorded)
                .Select(r => r is Rejected rejected ? "rejected: " + rejected.Message : "failed: " + ((Failed)r).Reason)
                .Distinct().Take(10).ToList(),
        };
    }

    // The warm-up's rounds for the tier-up JIT: records a round, the pause after it, the JIT time a round may add and still
    // count as settled, and rounds at most (then the report says it did not settle).
    private const int JitRoundRecords = 250;
    private static readonly TimeSpan JitRoundPause = TimeSpan.FromMilliseconds(300);
    private const double JitSettledMs = 10;
    private const int JitQuietRounds = 3;
    private const int JitRoundsAtMost = 20;

    /// <summary>
    /// See <see cref="SimulationReport.SteadyRecordsPerSecond"/>: commits are events, each with its records' count. Of the
    /// commits between 10 % and 90 % of the run, the first tenth and the last tenth (at least one each) are each taken at
    /// their mean time and mean count of records committed so far; the rate is the records between those two means over
    /// the time between them, and never more than the rate the records were sent at (<paramref name="sentPerSecond"/>, 0:
    /// no bound), nor more than the higher of the rate between the window's edge commits and the run's wall-time rate
    /// (<paramref name="wallTimeRate"/>, 0: no bound). With two or up to nineteen commits inside it is the rate between
    /// the first and the last of them.
    /// </summary>
    internal static double? SteadyRate(IEnumerable<long> commitTimes, long started, long finished, double sentPerSecond = 0, double wallTimeRate = 0)
    {
        var commits = Commits(commitTimes);
        var span = finished - started;
        var inside = commits.Where(c => c.At >= started + span / 10 && c.At <= started + span * 9 / 10).ToList();
        if (inside.Count < 2) return null;
        // (time, records committed since the first commit inside, that commit's own not counted) of each commit inside.
        var points = new (long At, long Records)[inside.Count];
        var records = 0L;
        for (var i = 0; i < inside.Count; i++)
        {
            if (i > 0) records += inside[i].Records;
            points[i] = (inside[i].At, records);
        }
        var edge = Math.Max(1, points.Length / 10);
        var (firstAt, firstRecords) = (points[..edge].Average(p => (double)p.At), points[..edge].Average(p => (double)p.Records));
        var (lastAt, lastRecords) = (points[^edge..].Average(p => (double)p.At), points[^edge..].Average(p => (double)p.Records));
        if (lastAt <= firstAt) return null;
        var rate = (lastRecords - firstRecords) / ((lastAt - firstAt) / Stopwatch.Frequency);
        if (sentPerSecond > 0) rate = Math.Min(rate, sentPerSecond);
        // The means smooth a stall at an edge as they smooth a slow commit there: what they read above both exact readings
        // of the run (between two commits; over its whole wall time) is not credited.
        var betweenEdgeCommits = records / ((inside[^1].At - inside[0].At) / (double)Stopwatch.Frequency);
        if (wallTimeRate > 0) rate = Math.Min(rate, Math.Max(wallTimeRate, betweenEdgeCommits));
        return Math.Round(rate, 1);
    }

    /// <summary>
    /// See <see cref="SimulationReport.SteadyRecordsPerSecondBetweenEdgeCommits"/>: the records of the commits after the
    /// first at 10 % of the run up to the last at 90 %, over the time between those two commits (the estimator before ADR 0081).
    /// </summary>
    internal static double? SteadyRateBetweenEdgeCommits(IEnumerable<long> commitTimes, long started, long finished)
    {
        var commits = Commits(commitTimes);
        var span = finished - started;
        var from = commits.FindIndex(c => c.At >= started + span / 10);
        var to = commits.FindLastIndex(c => c.At <= started + span * 9 / 10);
        if (from < 0 || to <= from) return null;
        var records = commits.Skip(from + 1).Take(to - from).Sum(c => c.Records);
        return Math.Round(records / ((commits[to].At - commits[from].At) / (double)Stopwatch.Frequency), 1);
    }

    private static List<(long At, int Records)> Commits(IEnumerable<long> commitTimes) =>
        commitTimes.GroupBy(t => t).Select(g => (At: g.Key, Records: g.Count())).OrderBy(c => c.At).ToList();

    /// <summary>The rate records were sent at: one fewer than were sent, over the time from the first send to the last; 0 for fewer than two.</summary>
    internal static double SentPerSecond(IEnumerable<long> sendTimes)
    {
        var (first, last, count) = (long.MaxValue, long.MinValue, 0);
        foreach (var sent in sendTimes)
            (first, last, count) = (Math.Min(first, sent), Math.Max(last, sent), count + 1);
        return count < 2 || last <= first ? 0 : (count - 1) / ((last - first) / (double)Stopwatch.Frequency);
    }

    private static LearningInput Input(string run, int i) => new(
        // Every tenth writer shares one title: same-day same-slug names that ELF would have overwritten.
        Title: i % 10 == 0 ? "Git lock contention under concurrent writers" : $"Simulated failure {i} of run {run}",
        Domain: "simulation",
        Severity: Severities[i % Severities.Length],
        Tags: $"simulate,run-{run}",
        Summary: $"Writer {i} recorded this failure while {i} others may have been writing.\nSecond line of the summary.");

    private static LearningInput WarmUpInput(string run, int i) => new(
        Title: $"Warm-up failure {i} of run {run}",
        Domain: "simulation",
        Severity: Severities[i % Severities.Length],
        Tags: $"simulate,run-{run},warm-up",
        Summary: "Sent before the measured records, so that they meet a running host.");

    private static async Task<bool> WaitForCommitsAsync(IActorRef committer, IEnumerable<long> ids,
        ConcurrentDictionary<long, long> committedAt, long deadline, CancellationToken cancellation)
    {
        var expected = ids.ToList();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                // The committer answers once its outbox is empty; a restart in between loses the question, so ask again.
                await committer.Ask<CommitterProtocol.AllCommitted>(CommitterProtocol.AwaitAllCommitted.Instance, TimeSpan.FromSeconds(5), cancellation);
            }
            catch (AskTimeoutException)
            {
                continue;
            }
            // Commit events reach the listener asynchronously; give them a moment after the outbox empties.
            var settle = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
            while (expected.Any(id => !committedAt.ContainsKey(id)) && Stopwatch.GetTimestamp() < settle)
                await Task.Delay(10, cancellation);
            return true;
        }
        return false;
    }

    private static async Task ReportProgressAsync(TextWriter output, int writers, Func<int> acknowledged, Func<int> committed, CancellationToken cancellation)
    {
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(cancellation))
                await output.WriteAsync($"\racknowledged {acknowledged()}/{writers}, committed {committed()}   ");
        }
        catch (OperationCanceledException)
        {
        }
        await output.WriteAsync("\r" + new string(' ', 60) + "\r");
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double Percent(int part, int whole) => whole == 0 ? 0 : Math.Round(100.0 * part / whole, 2);

    internal static double Percentile(double[] values, double quantile)
    {
        if (values.Length == 0) return 0;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Length - 1)], 2);
    }

    private sealed class CommitListener : ReceiveActor
    {
        public CommitListener(ConcurrentDictionary<long, long> committedAt) =>
            Receive<CommitterProtocol.RecordsCommitted>(message =>
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var id in message.RecordIds) committedAt.TryAdd(id, now);
            });
    }
}
