namespace ElfActors.Core.Git;

/// <summary>The remote branch a memory's branch follows: <c>branch.&lt;name&gt;.remote</c> and <c>.merge</c>, and its remote-tracking ref.</summary>
public sealed record SyncUpstream(string Remote, string MergeRef, string TrackingRef)
{
    public string Display => Remote + "/" + (MergeRef.StartsWith("refs/heads/", StringComparison.Ordinal) ? MergeRef["refs/heads/".Length..] : MergeRef);
}

/// <summary>
/// Sync's network git (docs/sync.md): fetch and push go through git itself, so a person's ssh and https credential
/// set-up is used as it is. They run through the one runner (<see cref="GitCli.TryRun"/>: <c>LC_ALL=C</c>, never a
/// prompt), with ssh in batch mode and killed after <see cref="NetworkTimeout"/>: offline is normal. Local git (refs,
/// trees, ancestry) is <see cref="GitCli"/>'s.
/// </summary>
public static partial class SyncGit
{
    public static TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(120);

    private static GitResult Network(string repository, IReadOnlyList<string> arguments)
    {
        var variables = new Dictionary<string, string>();
        if (Environment.GetEnvironmentVariable("GIT_SSH_COMMAND") is null) variables["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
        var result = GitCli.TryRun(repository, arguments, environment: variables, timeout: NetworkTimeout);
        return result with { Stderr = result.Stderr.Trim() };
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
        var remote = GitCli.TryRun(repository, ["config", "--get", $"branch.{name}.remote"]).Stdout.Trim();
        var merge = GitCli.TryRun(repository, ["config", "--get", $"branch.{name}.merge"]).Stdout.Trim();
        if (remote.Length == 0 || merge.Length == 0 || remote == ".")
        {
            whyNot = $"branch {name} has no upstream (git branch --set-upstream-to=<remote>/<branch> turns sync on)";
            return null;
        }
        var tracking = GitCli.TryRun(repository, ["rev-parse", "--symbolic-full-name", name + "@{upstream}"]).Stdout.Trim();
        if (!tracking.StartsWith("refs/", StringComparison.Ordinal)) tracking = $"refs/remotes/{remote}/{merge.Replace("refs/heads/", "", StringComparison.Ordinal)}";
        return new SyncUpstream(remote, merge, tracking);
    }

    /// <summary>Fetches the upstream branch into its remote-tracking ref (a remote-tracking ref may move any way: that is git's own default refspec).</summary>
    public static GitResult Fetch(string repository, SyncUpstream upstream) =>
        Network(repository, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", upstream.Remote, $"+{upstream.MergeRef}:{upstream.TrackingRef}"]);

    /// <summary>Pushes the branch to its upstream, never forced: a remote that moved on rejects it (the compare-and-swap).</summary>
    public static GitResult Push(string repository, string branchRef, SyncUpstream upstream) =>
        Network(repository, ["push", "--porcelain", "--no-verify", upstream.Remote, $"{branchRef}:{upstream.MergeRef}"]);

    /// <summary>
    /// Why a push failed, in git's own words: each refused ref's status from <c>--porcelain</c> (<c>[remote rejected]
    /// (failed to update ref)</c>, …) and git's error lines, not only its closing "failed to push some refs".
    /// </summary>
    public static string PushFailure(GitResult push)
    {
        var refused = push.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('!')).Select(line => line.Split('\t') is [_, var refs, var status] ? $"{refs[(refs.LastIndexOf(':') + 1)..]}: {status}" : line);
        var errors = push.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.StartsWith("remote: ", StringComparison.Ordinal) ? line["remote: ".Length..].TrimStart() : line)
            .Where(line => (line.StartsWith("error:", StringComparison.Ordinal) || line.StartsWith("fatal:", StringComparison.Ordinal))
                && !line.StartsWith("error: failed to push some refs", StringComparison.Ordinal));
        var reasons = refused.Concat(errors).Distinct().Take(6).ToList();
        return reasons.Count > 0 ? string.Join("; ", reasons) : push.Reason;
    }

    /// <summary>The lock file on the remote's ref that refused a push (git: <c>cannot lock ref '…': Unable to create '&lt;path&gt;': File exists</c>), or null.</summary>
    public static string? RemoteRefLock(GitResult push) =>
        push.Succeeded ? null : RefLockExists().Match(push.Stderr) is { Success: true } m ? Path.GetFullPath(m.Groups["path"].Value) : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"cannot lock ref '[^']+': Unable to create '(?<path>/[^']+\.lock)': File exists")]
    private static partial System.Text.RegularExpressions.Regex RefLockExists();

    /// <summary>Whether a push failed only because the remote moved on since the last fetch (the normal "someone else was first").</summary>
    public static bool IsRejectedAsBehind(GitResult push) =>
        !push.Succeeded && (push.Stdout.Contains("[rejected]", StringComparison.Ordinal) || push.Stderr.Contains("[rejected]", StringComparison.Ordinal)
            || push.Stdout.Contains("[remote rejected] ", StringComparison.Ordinal) && (push.Stdout + push.Stderr).Contains("cannot lock ref", StringComparison.Ordinal)
            || push.Stderr.Contains("non-fast-forward", StringComparison.Ordinal) || push.Stderr.Contains("fetch first", StringComparison.Ordinal));

    /// <summary>Commits the local tip has that the upstream lacks, and the other way round.</summary>
    public static (int Ahead, int Behind) AheadBehind(string repository, string? local, string? upstream)
    {
        if (local is null || upstream is null) return (0, 0);
        var counts = GitCli.TryRun(repository, ["rev-list", "--left-right", "--count", $"{local}...{upstream}"]).Stdout
            .Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return counts.Length == 2 && int.TryParse(counts[0], out var ahead) && int.TryParse(counts[1], out var behind) ? (ahead, behind) : (0, 0);
    }
}
