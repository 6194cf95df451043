namespace ElfActors.Core.Git;

/// <summary>
/// The files a look for the memory's upstream (<see cref="SyncGit.FindUpstream"/>: the branch HEAD names, and its
/// <c>branch.&lt;name&gt;.remote</c> and <c>.merge</c>) reads, so that a look that found none need not run again while
/// none of them changed: that look is three git processes, and sync's round after each second of commits ran it
/// (docs/adr/0082). They are the repository's HEAD, config and config.worktree, and the global and system config files
/// git reads, whether they exist yet or not (<c>$GIT_CONFIG_GLOBAL</c>, else <c>$XDG_CONFIG_HOME/git/config</c> and
/// <c>~/.gitconfig</c>; <c>$GIT_CONFIG_SYSTEM</c>, else <c>/etc/gitconfig</c>, unless <c>$GIT_CONFIG_NOSYSTEM</c>). A file
/// that an <c>include.path</c> names is not among them: a change made there alone is seen by <c>elf sync --now</c>, after
/// any change of these, or at the host's next start.
/// </summary>
public sealed class UpstreamLookupFiles
{
    private readonly string[] _paths;

    private UpstreamLookupFiles(string[] paths) => _paths = paths;

    /// <summary>The files for the repository at <paramref name="repository"/> (one git process: its git folders); null when git cannot say.</summary>
    public static UpstreamLookupFiles? Of(string repository)
    {
        var folders = GitCli.TryRun(repository, ["rev-parse", "--git-dir", "--git-common-dir"]);
        var lines = folders.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!folders.Succeeded || lines.Length != 2) return null;
        var gitDirectory = Path.GetFullPath(lines[0], repository);
        var commonDirectory = Path.GetFullPath(lines[1], repository);
        var paths = new List<string>
        {
            Path.Combine(gitDirectory, "HEAD"),
            Path.Combine(commonDirectory, "config"),
            Path.Combine(gitDirectory, "config.worktree"),
        };
        if (Environment.GetEnvironmentVariable("GIT_CONFIG_GLOBAL") is { Length: > 0 } global)
            paths.Add(global);
        else
        {
            var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".config");
            paths.Add(Path.Combine(xdg, "git", "config"));
            paths.Add(Path.Combine(home, ".gitconfig"));
        }
        if (Environment.GetEnvironmentVariable("GIT_CONFIG_NOSYSTEM") is not { Length: > 0 })
            paths.Add(Environment.GetEnvironmentVariable("GIT_CONFIG_SYSTEM") is { Length: > 0 } system ? system : "/etc/gitconfig");
        return new UpstreamLookupFiles([.. paths]);
    }

    /// <summary>
    /// The files as they are now (<see cref="FileStat.StampOf"/>, through symbolic links: a dotfile manager's
    /// ~/.gitconfig is one). Taken before a look, so that a change made while it runs differs from it. Null where stat data
    /// cannot be read (HEAD, which always exists, has none: no statx here), and then every round looks, as
    /// <see cref="PersonGit"/> then scans.
    /// </summary>
    public State? Read()
    {
        var stamps = new ChangeStamp?[_paths.Length];
        for (var i = 0; i < _paths.Length; i++) stamps[i] = FileStat.StampOf(_paths[i], followLinks: true);
        return stamps[0] is null ? null : new State(stamps);
    }

    /// <summary>What each file was: git writes its config and HEAD to a lock file renamed over the old (a new inode), so the inode tells a rewrite of the same size within one clock tick.</summary>
    public sealed class State(ChangeStamp?[] stamps)
    {
        public bool SameAs(State other) => stamps.AsSpan().SequenceEqual(other.Stamps);

        private ReadOnlySpan<ChangeStamp?> Stamps => stamps;
    }
}
