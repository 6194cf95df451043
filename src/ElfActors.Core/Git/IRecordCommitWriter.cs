namespace ElfActors.Core.Git;

/// <summary>
/// The one step that writes to a person's repository (docs/git-writer.md): commit these records' files onto the
/// branch, with a compare-and-swap on the tip it built on (rebuilt on the new tip if someone committed in between),
/// and stage the same files in the index so that `git status` stays clean. Nothing else in the repository changes.
/// Two implementations: <see cref="NativeCommitWriter"/> (fast, in-process) and <see cref="GitPlumbingWriter"/>
/// (git's own plumbing, the reference the fast one is checked against).
/// </summary>
internal interface IRecordCommitWriter : IDisposable
{
    /// <summary>"fast" or "git": the value of elf.committer.git-writer that selects it.</summary>
    string Name { get; }

    /// <summary>
    /// Commits exactly <paramref name="files"/> (distinct paths, as their caller read them) on top of
    /// <paramref name="branch"/>'s tip and returns the commit id. Throws <see cref="GitLockHeldException"/> when a git
    /// lock is held, <see cref="GitBranchMovedException"/> when the branch kept moving.
    /// </summary>
    string Commit(string branch, IReadOnlyList<StagedFile> files, string message);

    /// <summary>
    /// <see cref="Commit(string, IReadOnlyList{StagedFile}, string)"/> with the message in the caller's buffer, read only
    /// during the call (docs/adr/0076). The default makes a string of it.
    /// </summary>
    string Commit(string branch, IReadOnlyList<StagedFile> files, ReadOnlyMemory<char> message) => Commit(branch, files, message.ToString());
}
