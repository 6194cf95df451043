namespace ElfActors.Core.Git;

/// <summary>Where a repository keeps what a person's git changes: its git folder, and the common one its refs live in.</summary>
public static class GitFolders
{
    /// <summary>The common git folder of a git folder: for a linked worktree's, the main repository's (its commondir file); else itself.</summary>
    public static string Common(string gitDirectory)
    {
        var git = Path.TrimEndingDirectorySeparator(gitDirectory);
        var commonDir = Path.Combine(git, "commondir");
        return File.Exists(commonDir) ? Path.GetFullPath(Path.Combine(git, File.ReadAllText(commonDir).Trim())) : git;
    }

    /// <summary>
    /// The folders whose entries change when a person's git moves a branch or HEAD, stages, or starts an operation:
    /// the git folder (HEAD, index, ORIG_HEAD, the locks, a rebase's folder), the common folder (packed-refs) and,
    /// with every folder below it, the common folder's refs/heads.
    /// </summary>
    public static IReadOnlyList<Files.WatchedFolder> Watched(string gitDirectory)
    {
        var git = Path.TrimEndingDirectorySeparator(gitDirectory);
        var common = Common(git);
        var folders = new List<Files.WatchedFolder> { new(git, Recursive: false) };
        if (!string.Equals(common, git, StringComparison.Ordinal)) folders.Add(new(common, Recursive: false));
        folders.Add(new(Path.Combine(common, "refs", "heads"), Recursive: true));
        return folders;
    }
}
