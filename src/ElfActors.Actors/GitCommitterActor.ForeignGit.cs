using Akka.Event;
using ElfActors.Core.Git;
using ElfActors.Core.Storage;
using ElfActors.Core.Text;

namespace ElfActors.Actors;

/// <summary>
/// Commits made while another git ran in the repository (docs/adr/0048). A person's git that read git's index in the
/// milliseconds between the writer's look before staging and the branch's move (a `cherry-pick`, a `status` that
/// refreshes the index) may afterwards write that index back and commit from it onto the host's commit: the commit
/// lacks the host's files, and looks like the person's deliberate deletion. Such a batch is kept here and, once no
/// foreign git runs, checked: records the tip lacks are committed again, and git's index gets the batch's files back.
/// </summary>
public sealed partial class GitCommitterActor
{
    private readonly List<CommittedBesideGit> _besideForeignGit = [];

    private sealed record CommittedBesideGit(string CommitId, IReadOnlyList<GitProcessId> Gits, IReadOnlyList<OutboxEntry> Records);

    /// <summary>After a commit: kept for the check when other gits were running right after the branch moved (true).</summary>
    private bool NoteForeignGit(string commitId, List<OutboxEntry> ready)
    {
        var gits = Git().ForeignGitsAfterLastCommit;
        if (gits.Count == 0) return false;
        _besideForeignGit.Add(new CommittedBesideGit(commitId, gits, ready));
        _log.Info("Commit {0} was made while a git process (pid {1}) ran in the repository: its {2} records are checked again once it ends",
            commitId[..Math.Min(12, commitId.Length)], gits[0].Pid, ready.Count);
        return true;
    }

    /// <summary>
    /// The check of the batches committed beside other gits, before the next commit: false while one of those very
    /// gits still runs (the committer holds; gits started since cannot have read the index before the batch) or the
    /// batches' marks are not in yet. Records the tip lacks are queued again; git's index holds the batches' files as
    /// the tip does.
    /// </summary>
    private bool CheckCommittedBesideForeignGit(string? tip)
    {
        if (_besideForeignGit.Count == 0) return true;
        if (_besideForeignGit.SelectMany(b => b.Gits).Where(GitProcesses.IsRunning).Select(g => g.Pid).FirstOrDefault() is > 0 and var pid)
        {
            Hold(PersonGit.HoldMessage(pid));
            return false;
        }
        var records = _besideForeignGit.SelectMany(b => b.Records).ToList();
        if (records.Any(r => _unmarked.Contains(r.OutboxId)))
        {
            WaitForMarks(); // reopening before the mark lands would be undone by it
            return false;
        }
        var paths = records.Select(r => r.RelativePath).Distinct(StringComparer.Ordinal).ToList();
        var inTip = new Dictionary<string, string>(StringComparer.Ordinal);
        List<OutboxEntry> lost;
        using (var tipRecords = new TipRecords(Git(), tip))
        {
            foreach (var path in paths.Order(Utf8Order.Instance))
                if (tipRecords.BlobOf(path) is { } blob) inTip[path] = blob;
            lost = records.Where(r => !inTip.TryGetValue(r.RelativePath, out var blob) || (r.SharesFile && !tipRecords.BlobHolds(blob, r.Content))).ToList();
        }
        if (lost.Count > 0)
        {
            var ids = lost.Select(r => r.OutboxId).ToList();
            WriteLostFiles(lost.Select(r => new CommittedEntry(r.OutboxId, r.SharesFile, r.RelativePath, r.Content)).ToList());
            Index().Reopen(ids);
            _reopened.UnionWith(ids);
            _log.Warning("{0} records committed while another git ran in the repository are not in the tip {1}: that git committed an index it had read before them; committing them again",
                lost.Count, tip is null ? "(no commit)" : tip[..Math.Min(12, tip.Length)]);
        }
        if (tip is not null)
        {
            var restaged = Git().StageAsCommitted(tip, paths.Where(inTip.ContainsKey).ToList());
            if (restaged > 0) _log.Warning("{0} committed record files were missing from git's index (another git wrote an index it had read before them): staged again", restaged);
            // Files the tip holds that the working tree lacks (a `git clean -fdx` that took them for untracked): written
            // back as the tip holds them. Not before that git ended, and not while HEAD is elsewhere (the check runs only
            // when the committer does not hold): a checkout to another branch removed them on purpose.
            foreach (var path in paths.Where(inTip.ContainsKey))
            {
                var absolute = _paths.Absolute(path);
                if (File.Exists(absolute) || Git().ReadBlobText(inTip[path]) is not { } text) continue;
                PutBack(absolute, text);
                _log.Warning("{0} was removed from the working tree while another git ran beside its commit; written back as the tip holds it", path);
            }
        }
        _besideForeignGit.Clear();
        return true;
    }
}
