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
            else
            {
                var before = Git().BranchTip();
                outcome = SyncIntegration.Integrate(_paths, request.BranchRef, request.UpstreamTip, request.Display);
                // Every path the verified tip held is in the new tip by construction (fast-forward, replay or merge):
                // no reachability check of every record is needed for it.
                if (outcome.NewTip is not null && _verified && before == _verifiedTip) _verifiedTip = outcome.NewTip;
                // The index follows: rows for the learnings that arrived, marked committed before any batch could see them pending.
                try
                {
                    var imported = ArrivedRecords.Import(Index(), _paths, outcome, _clock.GetUtcNow());
                    if (imported > 0) _log.Info("Sync: {0} records arrived from other machines; rows added to the index", imported);
                }
                catch (Exception e) when (e is GitStoreException or IOException or Microsoft.Data.Sqlite.SqliteException)
                {
                    _log.Warning("Sync: the branch took the remote's commits, but their rows could not be added to the index ({0}); elf reindex rebuilds it", e.Message);
                }
            }
        }
        catch (Exception e) when (e is SyncConflictException or GitStoreException or GitBranchMovedException or IOException or UnauthorizedAccessException)
        {
            error = e.Message;
        }
        Sender.Tell(new SyncProtocol.Integrated(request.Number, outcome, error));
        if (outcome?.NewTip is not null) ScheduleBatch();
    }
}
