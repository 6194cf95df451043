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
    /// Record ids named by <c>Elf-Record</c> trailers in the branch's commits made since <paramref name="since"/>,
    /// each with the commit that holds it; used on start to mark what a crash left unmarked.
    /// </summary>
    IReadOnlyDictionary<long, string> FindRecordCommits(DateTimeOffset since);
}

/// <summary>Creates the committer's git store; replaced in tests to inject faults.</summary>
public delegate IGitStore GitStoreFactory(MemoryPaths paths);
