using System.Text.RegularExpressions;

namespace ElfActors.Benchmarks.Compare;

/// <summary>
/// What a run left behind, read from outside after it ended: rows through the sqlite3 executable, files from
/// the folder, history and the branch's tree through the git executable. Records are told apart by the writer
/// number in their title ("Bench RUN wN failure"), which every system puts in the file name and the row.
/// </summary>
internal sealed class MemoryCensus
{
    public required HashSet<int> Rows { get; init; }
    public required HashSet<int> Files { get; init; }
    /// <summary>Writers whose file is in the branch's tip and was added by exactly one commit.</summary>
    public required HashSet<int> InGitOnce { get; init; }
    /// <summary>Commits since the run began that touched memory/failures/.</summary>
    public required int Commits { get; init; }

    public static MemoryCensus Take(string repository, string run, string? sinceCommit)
    {
        var writer = new Regex($"bench-{run}-w(\\d+)-failure", RegexOptions.CultureInvariant);
        HashSet<int> Writers(IEnumerable<string> texts) =>
            texts.Select(t => writer.Match(t)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToHashSet();

        var db = Path.Combine(repository, "memory", "index.db");
        var rows = File.Exists(db)
            ? Shell.Run("sqlite3", "-readonly", db, "SELECT filepath FROM learnings WHERE type = 'failure'").Split('\n')
            : [];
        var folder = Path.Combine(repository, "memory", "failures");
        var files = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.md").Select(Path.GetFileName).OfType<string>() : [];

        var range = sinceCommit is null ? "HEAD" : sinceCommit + "..HEAD";
        var hasHead = TryGit(repository, "rev-parse", "-q", "--verify", "HEAD") is not null;
        var log = hasHead ? Git.Run(repository, "log", "--format=%x01", "--name-only", "--diff-filter=A", range, "--", "memory/failures") : "";
        var commits = log.Split('\x01', StringSplitOptions.RemoveEmptyEntries);
        var additions = commits.SelectMany(c => c.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(path => writer.Match(path)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value))
            .GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        var tip = hasHead ? Writers(Git.Run(repository, "ls-tree", "-r", "--name-only", "HEAD", "--", "memory/failures").Split('\n')) : [];
        return new MemoryCensus
        {
            Rows = Writers(rows),
            Files = Writers(files),
            InGitOnce = tip.Where(w => additions.GetValueOrDefault(w) == 1).ToHashSet(),
            Commits = commits.Length,
        };
    }

    public static string? TryGit(string repository, params string[] arguments)
    {
        try
        {
            return Git.Run(repository, arguments).Trim();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
