using Akka.Actor;
using Akka.Event;
using ElfActors.Core.Git;
using ElfActors.Core.Import;

namespace ElfActors.Actors;

/// <summary>
/// Sync's integration runs here, between two batches: the committer is the memory's branch's only writer in this
/// process, so a fetched upstream is never integrated while a commit moves the branch (docs/adr/0033).
/// </summary>
public sealed partial class GitCommitterActor
{
    private PersonGit? _personGitForSync;

    private void Integrate(SyncProtocol.IntegrateUpstream request)
    {
        IntegrationOutcome? outcome = null;
        string? error = null;
        try
        {
            if (_git is null) error = "the committer has not started";
            else if (Git().HoldReason() is { } hold) error = "the committer is holding: " + hold;
            else if ((_personGitForSync ??= new PersonGit(_paths.BasePath)).Running() is { } pid)
                error = $"a person's git (pid {pid}) runs in the repository; the next round integrates"; // their pull or rebase reads the branch first
            else if (Git().Branch != request.BranchRef) error = $"HEAD is on {request.BranchRef}, not on the memory's branch {Git().Branch}";
            else if (!FinishInterruptedIntegration()) error = "an earlier integration's working tree is not followed yet: " + _monitor.CommitterState;
            else
            {
                var before = Git().BranchTip();
                var journal = Journal();
                outcome = SyncIntegration.Integrate(_paths, request.BranchRef, request.UpstreamTip, request.Display, journal);
                // Every path the verified tip held is in the new tip by construction (fast-forward, replay or merge):
                // no reachability check of every record is needed for it.
                if (outcome.NewTip is not null && _verified && before == _verifiedTip) _verifiedTip = outcome.NewTip;
                ImportArrived(outcome);
                journal?.Done();
            }
        }
        catch (Exception e) when (e is SyncConflictException or GitStoreException or GitBranchMovedException or IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            // Failed after the branch moved (git's index held by another git as it was to follow): finished before the next commit.
            if (Journal()?.Read() is not null) _integrationUnfinished = true;
        }
        Sender.Tell(new SyncProtocol.Integrated(request.Number, outcome, error));
        if (outcome?.NewTip is not null) ScheduleBatch();
    }

    /// <summary>
    /// The index follows: rows for the records that arrived, marked committed before any batch could see them pending. A
    /// failure is an error, not a warning: those records are in the files and history but not in the index that ELF's
    /// readers (query.py, the dashboard) read, no later round adds them, and only the user can (`elf reindex`); logged as
    /// an error, it is what `elf status` shows as the host's last error.
    /// </summary>
    private void ImportArrived(IntegrationOutcome outcome)
    {
        try
        {
            var imported = ArrivedRecords.Import(Index(), _paths, outcome, _clock.GetUtcNow());
            if (imported > 0) _log.Info("Sync: {0} records arrived from other machines; rows added to the index", imported);
        }
        catch (Exception e) when (e is GitStoreException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            _log.Error("Sync: the branch took the remote's commits, but their rows could not be added to the index ({0}): ELF's readers do not see them until `elf stop` then `elf reindex` rebuilds it", e.Message);
        }
    }

    private IntegrationJournal? Journal() => Git().GitDirectory is { } gitDirectory ? IntegrationJournal.In(gitDirectory) : null;

    /// <summary>An integration moved the branch and its following failed, here or in the host before (docs/adr/0047).</summary>
    private bool _integrationUnfinished = true; // until the start has looked

    /// <summary>
    /// Before a commit or an integration: an integration that moved the branch and did not finish (the host before
    /// was killed, or git's index was held as it was to follow) is finished first, or a commit of a heuristics domain
    /// file would take its old text and drop the entries that arrived. False while it cannot be (a lock is waited for).
    /// </summary>
    private bool FinishInterruptedIntegration()
    {
        if (!_integrationUnfinished) return true;
        try
        {
            ResumeInterruptedIntegration();
            _integrationUnfinished = false;
            return true;
        }
        catch (GitLockHeldException e)
        {
            WaitForLock(e);
            return false;
        }
        catch (Exception e) when (e is GitStoreException or IOException or UnauthorizedAccessException)
        {
            _monitor.SetCommitterState("finishing an integration the branch moved for: " + e.Message);
            Timers.StartSingleTimer("hold", CommitterProtocol.Sweep.Instance, _settings.BackoffMin);
            return false;
        }
    }

    /// <summary>
    /// An integration the host before this one began and was stopped in (kill -9 after the branch moved), or this
    /// one's that failed to follow: git's index, the working tree and the index's rows follow the tip now.
    /// </summary>
    private void ResumeInterruptedIntegration()
    {
        if (Journal() is not { } journal || Git().Branch is not { } branch) return;
        IntegrationOutcome? outcome;
        try
        {
            outcome = SyncIntegration.Resume(_paths, branch, journal);
        }
        catch (SyncConflictException e)
        {
            _log.Warning("Sync: an integration stopped half-way could not be finished ({0}); the files it names need a person", e.Message);
            journal.Done();
            return;
        }
        if (outcome is null) return;
        if (outcome.NewTip is null)
        {
            _log.Warning("Sync: an integration stopped half-way is not resumed: {0}", outcome.How);
            journal.Done();
            return;
        }
        ImportArrived(outcome);
        journal.Done();
        _log.Warning("Sync: the integration of {0} had moved the branch but not the working tree (a host killed, or git's index held); finished now: {1} paths followed",
            outcome.NewTip[..12], outcome.ChangedPaths.Count);
    }
}
