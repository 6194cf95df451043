namespace ElfActors.Tests.Support;

/// <summary>One commit as `git log` tells it.</summary>
public sealed record LoggedCommit(string Sha, string Message, IReadOnlyList<string> AddedFiles)
{
    public IEnumerable<long> RecordTrailers => Message.Split('\n')
        .Where(l => l.StartsWith("Elf-Record: ", StringComparison.Ordinal))
        .Select(l => long.Parse(l["Elf-Record: ".Length..].Trim()));
}

/// <summary>Reads history with the git executable, independently of LibGit2Sharp.</summary>
public static class GitHistory
{
    public static IReadOnlyList<LoggedCommit> Log(string repository)
    {
        // Every commit, with the status of each file it changed. (A --diff-filter would hide commits that add
        // nothing, such as a duplicate re-commit of files already in the tree.)
        var (code, stdout, _) = Tools.Run("git", repository, "log", "--format=%x1e%H%x1f%B%x1f", "--name-status", "--no-renames");
        if (code != 0) return []; // no commits yet
        var commits = new List<LoggedCommit>();
        foreach (var entry in stdout.Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('\u001f');
            var added = parts.Length > 2
                ? parts[2].Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Where(line => line.StartsWith("A\t", StringComparison.Ordinal))
                    .Select(line => line[2..].Trim()).ToList()
                : [];
            commits.Add(new LoggedCommit(parts[0].Trim(), parts[1], added));
        }
        return commits;
    }

    public static IReadOnlyList<string> Status(string repository) =>
        Tools.Git(repository, "status", "--porcelain", "--untracked-files=all")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static IReadOnlySet<string> TrackedFiles(string repository) =>
        Tools.Git(repository, "ls-files", "-z").Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
}
