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
    string CommitFiles(IReadOnlyList<(string Path, byte[] Content)> files, string message) =>
        CommitFiles(files.Select(f => f.Path).ToList(), message);

    /// <summary>
    /// Record ids named by <c>Elf-Record</c> trailers in the branch's commits made since <paramref name="since"/>,
    /// each with the commit that holds it; used on start to mark what a crash left unmarked.
    /// </summary>
    IReadOnlyDictionary<long, string> FindRecordCommits(DateTimeOffset since);

    /// <summary>
    /// Like <see cref="FindRecordCommits"/>, for records of every table: trailer value (<c>12</c>, <c>H-3</c>,
    /// <c>ADR-2</c>) → commit. The default covers learnings only; <see cref="GitStore"/> reads them all.
    /// </summary>
    IReadOnlyDictionary<string, string> FindTrailerCommits(DateTimeOffset since) =>
        FindRecordCommits(since).ToDictionary(p => p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Value);
}

/// <summary>Creates the committer's git store; replaced in tests to inject faults.</summary>
public delegate IGitStore GitStoreFactory(MemoryPaths paths);
