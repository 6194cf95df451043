using System.Diagnostics;
using System.Globalization;
using Akka.Event;

namespace ElfActors.Actors;

/// <summary>
/// Why the committer is not committing, said where a user and a log can see it (docs/reliability.md#a-committer-that-waits):
/// <c>elf status</c> shows what it waits for at every look, and a look that finds records pending with no commit
/// started for <c>elf.committer.stall-warning</c>, and no wait it can name (a person's git, a lock), logs a warning with
/// everything the committer's decision rests on, once per stall.
/// </summary>
public sealed partial class GitCommitterActor
{
    // When the committer last got on: a commit started, a look found nothing to do, or it waited for something it names.
    private long _progressAt = Stopwatch.GetTimestamp();
    private bool _stallReported;
    private long _batchScheduledAt;
    // Pending records whose files the last look found not yet complete (written from the outbox after the orphan grace).
    private int _unplacedFiles;

    /// <summary>The committer got on (a commit started, nothing is to do, or a wait it names began): a stall is counted from here.</summary>
    private void Progressed()
    {
        _progressAt = Stopwatch.GetTimestamp();
        if (!_stallReported) return;
        _stallReported = false;
        _log.Warning("The committer gets on again: {0}", _monitor.CommitterState);
    }

    /// <summary>
    /// Run at every sweep: records pending, no commit started and no named wait for <c>elf.committer.stall-warning</c>
    /// is a stall, logged once at Warning with the committer's whole state.
    /// </summary>
    private void LookForStall()
    {
        if (_stallReported || _git is null || _index is null || _settings.StallWarning <= TimeSpan.Zero) return;
        var quiet = Stopwatch.GetElapsedTime(_progressAt);
        if (quiet < _settings.StallWarning) return;
        long pending;
        try
        {
            pending = Index().CountPending();
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
        {
            return; // the next batch meets the same failure and handles it
        }
        if (pending == 0 && _unmarked.Count == 0)
        {
            _progressAt = Stopwatch.GetTimestamp();
            return;
        }
        _stallReported = true;
        _log.Warning("No commit for {0} s while {1} records wait: the committer waits for {2} ({3})",
            Math.Round(quiet.TotalSeconds).ToString(CultureInfo.InvariantCulture), pending, WaitDescription(), StateDump());
    }

    /// <summary>What the committer waits for before its next commit, in a user's words.</summary>
    internal string WaitDescription()
    {
        if (_git is null) return "its start";
        if (_waitingForLock) return "a git lock another process holds (" + _monitor.CommitterState + ")";
        if (_holdReason is not null) return "a person's git: " + _holdReason;
        if (!_indexConfirmed) return "the index writer's word on which memory/index.db is in place";
        if (_integrationUnfinished) return "an integration the branch moved for to be finished";
        if (_unmarked.Count > 0) return $"the index writer to mark {_unmarked.Count} committed records";
        if (_besideForeignGit.Count > 0) return $"the check of {_besideForeignGit.Count} commits made while another git ran";
        if (_unplacedFiles > 0) return $"{_unplacedFiles} record files to be placed by their recorders (written from the outbox after elf.committer.orphan-grace)";
        if (_batchScheduled) return $"its next batch, scheduled {Ago(_batchScheduledAt)} ago";
        return "nothing: its next look commits what is pending";
    }

    /// <summary>Everything the committer's next decision rests on, for the stall warning.</summary>
    private string StateDump()
    {
        var scheduler = Context.System.Scheduler is DeadlineScheduler deadlines
            ? $"scheduler: {deadlines.PendingCount} timers, earliest overdue by {deadlines.OverdueBy.TotalMilliseconds:0} ms"
            : "scheduler: " + Context.System.Scheduler.GetType().Name;
        return string.Join("; ",
            $"state: {_monitor.CommitterState}",
            $"batch scheduled: {_batchScheduled}" + (_batchScheduled ? $" {Ago(_batchScheduledAt)} ago, run-batch timer {(Timers.IsTimerActive(RunBatchTimer) ? "armed" : "not armed")}" : ""),
            $"last commit started: {(_lastCommitStarted == 0 ? "never" : Ago(_lastCommitStarted) + " ago")}",
            $"waiting for a lock: {_waitingForLock}", $"hold: {_holdReason ?? "none"}", $"index confirmed: {_indexConfirmed}",
            $"unmarked: {_unmarked.Count}", $"files not placed: {_unplacedFiles}", $"check after marks: {_checkAfterMarks}", $"unannounced: {_unannounced.Count}",
            $"beside another git: {_besideForeignGit.Count}", $"reopened: {_reopened.Count}", $"verified: {_verified}",
            $"integration unfinished: {_integrationUnfinished}", $"waiters: {_waiters.Count}",
            $"sweep: {(_sweepEvery is { } every ? every.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s" : "none (resting)")}",
            $"watch: {(_watch is null ? "none" : _watch.Failed ?? "working")}", scheduler);
    }

    private static string Ago(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
