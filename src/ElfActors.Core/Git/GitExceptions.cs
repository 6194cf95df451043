namespace ElfActors.Core.Git;

/// <summary>A git operation failed; the message carries what git said.</summary>
public class GitStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Another process holds a git lock file (e.g. <c>.git/index.lock</c>): wait and retry, never force.</summary>
public sealed class GitLockHeldException(string message, string? lockPath = null) : GitStoreException(message)
{
    public string? LockPath { get; } = lockPath;
}

/// <summary>
/// A person's git process runs in the repository right before the branch would move: it may have read the branch
/// already, and moving it now would fail their compare-and-swap. The committer holds, as for a person's operation.
/// </summary>
public sealed class PersonGitRunningException(int pid)
    : GitStoreException(PersonGit.HoldMessage(pid))
{
    public int Pid { get; } = pid;
}

/// <summary>
/// Another git rewrote git's index each time the in-process index update had read it and built the new one, right
/// before it would take <c>index.lock</c> (docs/adr/0060): a person's git is busy with the index. Nothing is staged; the
/// committer holds, as for a person's git found running, and tries again.
/// </summary>
public sealed class GitIndexChangingException(int times)
    : GitStoreException($"holding commits: another git rewrote .git/index {times} times while the commit prepared its update of it; trying again shortly");

/// <summary>The branch moved while a commit was being built (someone else committed): rebuild on the new tip.</summary>
public sealed class GitBranchMovedException(string branch, string expected)
    : GitStoreException($"{branch} moved away from {(expected.Length == 0 ? "(unborn)" : expected[..Math.Min(12, expected.Length)])} while a commit was being built");

/// <summary>A repository the committer refuses up front (e.g. SHA-256); the message names why and what to do.</summary>
public sealed class UnsupportedRepositoryException(string message) : GitStoreException(message);
