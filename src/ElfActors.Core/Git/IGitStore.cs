namespace ElfActors.Core.Git;

/// <summary>The committer's view of the repository. One instance, one owner: git writers must never run in parallel.</summary>
public interface IGitStore : IDisposable
{
    /// <summary>
    /// Commits exactly these repository-relative files on the current branch, whatever else is staged or
    /// modified, and returns the commit id.
    /// </summary>
    string CommitFiles(IReadOnlyList<string> relativePaths, string message);

    /// <summary>
    /// Like <see cref="CommitFiles(IReadOnlyList{string}, string)"/>, with each file's content as the caller
    /// already read it (the committer reads every file to see that it is complete). The default reads them again.
    /// </summary>
    string CommitFiles(IReadOnlyList<StagedFile> files, string message) =>
        CommitFiles(files.Select(f => f.Path).ToList(), message);

    /// <summary>
    /// Like <see cref="CommitFiles(IReadOnlyList{StagedFile}, string)"/>, with the message in the caller's buffer, read
    /// only during the call: the committer keeps one for every batch (docs/adr/0076). The default makes a string of it.
    /// </summary>
    string CommitFiles(IReadOnlyList<StagedFile> files, ReadOnlyMemory<char> message) => CommitFiles(files, message.ToString());

    /// <summary>
    /// Record keys named by <c>Elf-Record</c> trailers in the branch's commits made since <paramref name="since"/>, for
    /// records of every table: trailer value (<c>12</c>, <c>H-3</c>, <c>ADR-2</c>) → the commit that holds it.
    /// </summary>
    IReadOnlyDictionary<string, string> FindTrailerCommits(DateTimeOffset since);

    /// <summary>
    /// Why commits must wait now (docs/adr/0018): a person's multi-step operation in progress (rebase, merge,
    /// cherry-pick, revert, am, bisect), a detached HEAD, or HEAD on a branch other than the memory's; null when none.
    /// </summary>
    string? HoldReason();

    /// <summary>The memory's branch (<c>refs/heads/…</c>): commits go to it by name. Null until HEAD is first on a branch.</summary>
    string? Branch { get; set; }

    /// <summary>The repository's git folder (for a linked worktree, its own under the main one's), or null when there is none to watch.</summary>
    string? GitDirectory => null;

    /// <summary>The memory's branch's tip commit, or null before its first commit.</summary>
    string? BranchTip();

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="descendant"/> or one of its ancestors (false when either is gone).</summary>
    bool IsAncestor(string ancestor, string descendant);

    /// <summary>The blob ids of those of these files that the commit's tree holds (one pass over each folder's tree).</summary>
    IReadOnlyDictionary<string, string> BlobsAt(string commitId, IReadOnlyCollection<string> relativePaths);

    /// <summary>
    /// Every file under <paramref name="folder"/> (and its subfolders) in the commit's tree with its blob id, full
    /// repository-relative paths in the order of their UTF-8 bytes (git's tree order, walked depth first): read lazily,
    /// one folder's tree at a time, so a caller can merge it with another sorted list without holding either.
    /// </summary>
    IEnumerable<(string Path, string Blob)> FilesInPathOrder(string commitId, string folder);

    /// <summary>A blob's text, or null if the repository lacks it.</summary>
    string? ReadBlobText(string blobId);

    /// <summary>
    /// The git processes not the host's that were running in the repository right after the last commit moved the
    /// branch. One that had read git's index before the commit staged its files may still make a commit from that
    /// index, without them (docs/adr/0048).
    /// </summary>
    IReadOnlyList<GitProcessId> ForeignGitsAfterLastCommit => [];

    /// <summary>
    /// Stages these files in git's index as the commit holds them, where the index holds something else or nothing (a
    /// person's git wrote an index it had read before the host staged them); returns how many it staged.
    /// </summary>
    int StageAsCommitted(string commitId, IReadOnlyCollection<string> relativePaths) => 0;

    /// <summary>
    /// Of these files, those whose latest removal in the history of <paramref name="tipId"/> was a commit without
    /// <c>Elf-Record</c> trailers (a person's deliberate deletion), each with that commit.
    /// </summary>
    IReadOnlyDictionary<string, string> DeletedByPerson(string tipId, IReadOnlyCollection<string> relativePaths);
}

/// <summary>
/// A file to commit as its caller read it: the bytes, and the file's stat taken before they were read (null when
/// none could be taken), which lets the index entry be written without git reading the file again.
/// </summary>
public readonly record struct StagedFile(string Path, byte[] Content, FileStat? Stat)
{
    /// <summary>Stat, then read: a change after the stat shows in the stat, so the entry can never hide it.</summary>
    public static StagedFile Read(string relativePath, string absolutePath)
    {
        var stat = FileStat.Of(absolutePath);
        return new StagedFile(relativePath, File.ReadAllBytes(absolutePath), stat);
    }
}

/// <summary>Creates the committer's git store; replaced in tests to inject faults.</summary>
public delegate IGitStore GitStoreFactory(MemoryPaths paths);
