namespace ElfActors.Core.Git;

/// <summary>What a git command answered: its exit code, stdout and stderr (never thrown on a non-zero exit).</summary>
public sealed record GitRun(int ExitCode, string Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;

    /// <summary>stderr's last non-empty line, or the exit code: enough for `elf status`.</summary>
    public string Reason => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
        ?? $"exit code {ExitCode}";
}

/// <summary>The remote branch a memory's branch follows: <c>branch.&lt;name&gt;.remote</c> and <c>.merge</c>, and its remote-tracking ref.</summary>
public sealed record SyncUpstream(string Remote, string MergeRef, string TrackingRef)
{
    public string Display => Remote + "/" + (MergeRef.StartsWith("refs/heads/", StringComparison.Ordinal) ? MergeRef["refs/heads/".Length..] : MergeRef);
}

/// <summary>
/// The git executable for sync (docs/sync.md): fetch and push go through git itself, so a person's ssh and https
/// credential set-up is used as it is. Every run has <c>LC_ALL=C</c> (messages are matched in English), never prompts
/// (<c>GIT_TERMINAL_PROMPT=0</c>, ssh in batch mode) and is killed after <see cref="NetworkTimeout"/>: offline is normal.
/// </summary>
public static class SyncGit
{
    public static TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>git through the one runner (<see cref="GitCli.TryRun"/>: LC_ALL=C, no prompt), with ssh in batch mode and a time limit.</summary>
    public static GitRun TryRun(string workingDirectory, IReadOnlyList<string> arguments, string? standardInput = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var variables = environment is null ? new Dictionary<string, string>() : new Dictionary<string, string>(environment);
        if (!variables.ContainsKey("GIT_SSH_COMMAND") && Environment.GetEnvironmentVariable("GIT_SSH_COMMAND") is null)
            variables["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
        var result = GitCli.TryRun(workingDirectory, arguments, standardInput, variables, timeout ?? NetworkTimeout);
        return new GitRun(result.ExitCode, result.Stdout, result.Stderr.Trim());
    }

    /// <summary>Runs git and returns stdout; a non-zero exit is a <see cref="GitStoreException"/>.</summary>
    public static string Run(string workingDirectory, IReadOnlyList<string> arguments, string? standardInput = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var run = TryRun(workingDirectory, arguments, standardInput, environment);
        if (!run.Ok) throw new GitStoreException($"git {string.Join(' ', arguments.Take(2))} failed ({run.ExitCode}): {run.Reason}");
        return run.Stdout;
    }

    /// <summary>
    /// The upstream of <paramref name="branchRef"/> as git's own configuration has it (set by clone, <c>push -u</c>,
    /// <c>branch --set-upstream-to</c>), or null with the reason when it has none (sync is then off).
    /// </summary>
    public static SyncUpstream? FindUpstream(string repository, string? branchRef, out string? whyNot)
    {
        whyNot = null;
        if (branchRef is null || !branchRef.StartsWith("refs/heads/", StringComparison.Ordinal))
        {
            whyNot = "the memory has no branch yet";
            return null;
        }
        var name = branchRef["refs/heads/".Length..];
        var remote = TryRun(repository, ["config", "--get", $"branch.{name}.remote"]).Stdout.Trim();
        var merge = TryRun(repository, ["config", "--get", $"branch.{name}.merge"]).Stdout.Trim();
        if (remote.Length == 0 || merge.Length == 0 || remote == ".")
        {
            whyNot = $"branch {name} has no upstream (git branch --set-upstream-to=<remote>/<branch> turns sync on)";
            return null;
        }
        var tracking = TryRun(repository, ["rev-parse", "--symbolic-full-name", name + "@{upstream}"]).Stdout.Trim();
        if (!tracking.StartsWith("refs/", StringComparison.Ordinal)) tracking = $"refs/remotes/{remote}/{merge.Replace("refs/heads/", "", StringComparison.Ordinal)}";
        return new SyncUpstream(remote, merge, tracking);
    }

    /// <summary>Fetches the upstream branch into its remote-tracking ref (a remote-tracking ref may move any way: that is git's own default refspec).</summary>
    public static GitRun Fetch(string repository, SyncUpstream upstream) =>
        TryRun(repository, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", upstream.Remote, $"+{upstream.MergeRef}:{upstream.TrackingRef}"]);

    /// <summary>Pushes the branch to its upstream, never forced: a remote that moved on rejects it (the compare-and-swap).</summary>
    public static GitRun Push(string repository, string branchRef, SyncUpstream upstream) =>
        TryRun(repository, ["push", "--porcelain", "--no-verify", upstream.Remote, $"{branchRef}:{upstream.MergeRef}"]);

    /// <summary>Whether a push failed only because the remote moved on since the last fetch (the normal "someone else was first").</summary>
    public static bool IsRejectedAsBehind(GitRun push) =>
        !push.Ok && (push.Stdout.Contains("[rejected]", StringComparison.Ordinal) || push.Stderr.Contains("[rejected]", StringComparison.Ordinal)
            || push.Stdout.Contains("[remote rejected] ", StringComparison.Ordinal) && push.Stdout.Contains("cannot lock ref", StringComparison.Ordinal)
            || push.Stderr.Contains("non-fast-forward", StringComparison.Ordinal) || push.Stderr.Contains("fetch first", StringComparison.Ordinal));

    /// <summary>A ref's commit id, or null when it does not exist.</summary>
    public static string? Resolve(string repository, string reference)
    {
        var run = TryRun(repository, ["rev-parse", "--verify", "--quiet", reference + "^{commit}"]);
        return run.Ok ? run.Stdout.Trim() : null;
    }

    public static bool IsAncestor(string repository, string ancestor, string descendant) =>
        TryRun(repository, ["merge-base", "--is-ancestor", ancestor, descendant]).ExitCode == 0;

    /// <summary>Commits the local tip has that the upstream lacks, and the other way round.</summary>
    public static (int Ahead, int Behind) AheadBehind(string repository, string? local, string? upstream)
    {
        if (local is null || upstream is null) return (0, 0);
        var counts = TryRun(repository, ["rev-list", "--left-right", "--count", $"{local}...{upstream}"]).Stdout
            .Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return counts.Length == 2 && int.TryParse(counts[0], out var ahead) && int.TryParse(counts[1], out var behind) ? (ahead, behind) : (0, 0);
    }
}
