namespace ElfActors.Core.Git;

/// <summary>A path's entry in a commit's tree or in git's index: its mode and blob.</summary>
public readonly record struct GitEntry(string Mode, string Blob);

/// <summary>
/// Paths' entries as git itself lists them (NUL-separated, read through <see cref="GitCli"/> with <c>LC_ALL=C</c>): in a
/// commit's tree (<c>ls-tree</c>) and in git's index (<c>ls-files --stage</c>, merged entries only). A path with none is absent.
/// </summary>
internal static class GitListings
{
    public static Dictionary<string, GitEntry?> InCommit(string repo, string commit, IReadOnlyCollection<string> paths) =>
        List(repo, paths, chunk => ["ls-tree", "-z", "--full-tree", commit, "--", .. chunk],
            fields => fields is [var mode, "blob", var blob] ? new GitEntry(mode, blob) : null);

    public static Dictionary<string, GitEntry?> InIndex(string repo, IReadOnlyCollection<string> paths) =>
        List(repo, paths, chunk => ["ls-files", "--stage", "-z", "--", .. chunk],
            fields => fields is [var mode, var blob, "0"] ? new GitEntry(mode, blob) : null);

    private static Dictionary<string, GitEntry?> List(string repo, IReadOnlyCollection<string> paths, Func<string[], string[]> command, Func<string[], GitEntry?> entry)
    {
        var result = new Dictionary<string, GitEntry?>(StringComparer.Ordinal);
        foreach (var chunk in paths.Chunk(500))
            foreach (var line in GitCli.Run(repo, command(chunk)).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                var tab = line.IndexOf('\t');
                if (tab > 0 && entry(line[..tab].Split(' ')) is { } found) result[line[(tab + 1)..]] = found;
            }
        return result;
    }
}
