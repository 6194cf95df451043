using ElfActors.Core;
using ElfActors.Core.Git;
using LibGit2Sharp;

namespace ElfActors.Tests.Support;

/// <summary>
/// Which calls to <see cref="IGitStore.CommitFiles"/> fail, counted across every committer incarnation:
/// before the commit (as a held lock does) or after it was made (as a crash before marking the outbox does).
/// </summary>
public sealed class GitFaultPlan
{
    private int _calls;
    private int _stores;
    public HashSet<int> FailBeforeCommit { get; init; } = [];
    public HashSet<int> FailAfterCommit { get; init; } = [];
    /// <summary>Run at a commit call (its number given), before the real store commits: what a person does meanwhile.</summary>
    public Action<int>? BeforeCommit { get; init; }
    /// <summary>Run at a commit call (its number and the commit made), once the real store has committed and before the committer hears of it.</summary>
    public Action<int, string>? AfterCommit { get; init; }
    public int StoresCreated => Volatile.Read(ref _stores);
    public int CommitCalls => Volatile.Read(ref _calls);
    public int InjectedFaults { get; private set; }

    public GitStoreFactory Factory => paths =>
    {
        Interlocked.Increment(ref _stores);
        return new FaultInjectingGitStore(new GitStore(paths), this);
    };

    internal int NextCall() => Interlocked.Increment(ref _calls);
    internal void Injected() => InjectedFaults++;
}

public sealed class FaultInjectingGitStore(IGitStore inner, GitFaultPlan plan) : IGitStore
{
    public string CommitFiles(IReadOnlyList<string> relativePaths, string message) => Commit(() => inner.CommitFiles(relativePaths, message));

    public string CommitFiles(IReadOnlyList<StagedFile> files, string message) => Commit(() => inner.CommitFiles(files, message));

    private string Commit(Func<string> commitFiles)
    {
        var call = plan.NextCall();
        plan.BeforeCommit?.Invoke(call);
        if (plan.FailBeforeCommit.Contains(call))
        {
            plan.Injected();
            throw new LockedFileException($"injected fault on commit call {call}: the index is locked");
        }
        var commit = commitFiles();
        plan.AfterCommit?.Invoke(call, commit);
        if (plan.FailAfterCommit.Contains(call))
        {
            plan.Injected();
            throw new LibGit2SharpException($"injected fault on commit call {call}, after commit {commit[..8]} was made");
        }
        return commit;
    }


    public IReadOnlyDictionary<string, string> FindTrailerCommits(DateTimeOffset since) => inner.FindTrailerCommits(since);

    public string? HoldReason() => inner.HoldReason();

    public string? Branch
    {
        get => inner.Branch;
        set => inner.Branch = value;
    }

    public string? GitDirectory => inner.GitDirectory;

    public string? BranchTip() => inner.BranchTip();

    public bool IsAncestor(string ancestor, string descendant) => inner.IsAncestor(ancestor, descendant);

    public IReadOnlyDictionary<string, string> BlobsAt(string commitId, IReadOnlyCollection<string> relativePaths) => inner.BlobsAt(commitId, relativePaths);

    public IEnumerable<(string Path, string Blob)> FilesInPathOrder(string commitId, string folder) => inner.FilesInPathOrder(commitId, folder);

    public string? ReadBlobText(string blobId) => inner.ReadBlobText(blobId);

    public IReadOnlyDictionary<string, string> DeletedByPerson(string tipId, IReadOnlyCollection<string> relativePaths) => inner.DeletedByPerson(tipId, relativePaths);

    public void Dispose() => inner.Dispose();
}
