using System.Text;
using System.Text.RegularExpressions;
using ElfActors.Core.Files;

namespace ElfActors.Core.Git;

/// <summary>What integrating the fetched upstream did: the branch's new tip (null when nothing changed) and the paths that changed under it.</summary>
public sealed record IntegrationOutcome(string? OldTip, string? NewTip, string How, IReadOnlyList<string> ChangedPaths)
{
    public static readonly IntegrationOutcome Nothing = new(null, null, "up to date", []);
}

/// <summary>An integration that would lose or overwrite something: nothing was changed, sync waits for a person.</summary>
public sealed class SyncConflictException(string message) : Exception(message);

/// <summary>
/// Brings a fetched upstream tip into the memory's branch without a working-tree merge (docs/adr/0033): the new tree
/// is built in a temporary index, committed with <c>commit-tree</c>, and the branch moved with a compare-and-swap; then
/// git's index and the working tree follow for the paths that changed. Record files are unique per record key and never
/// conflict; the files several machines append to (heuristics domain files, golden rules) keep every entry of both sides.
/// <list type="bullet">
/// <item>Local tip behind: fast-forward.</item>
/// <item>Local commits ahead that are all elf's (each has <c>Elf-Record</c> trailers, never pushed): replayed as one commit
/// on top of the upstream, keeping every trailer; history stays linear, so no criss-cross merge ever re-merges a file.</item>
/// <item>A person's commit among them: a merge commit (their commits are never rewritten).</item>
/// </list>
/// Must run on the committer's thread (the branch's only writer in this process).
/// </summary>
public static partial class SyncIntegration
{
    /// <summary>Files several machines append to: merged entry by entry, never as text conflicts.</summary>
    public static bool IsAppendFile(string path) =>
        (path.StartsWith(Markdown.HeuristicMarkdown.Folder, StringComparison.Ordinal) && path.EndsWith(".md", StringComparison.Ordinal)
            && path.IndexOf('/', Markdown.HeuristicMarkdown.Folder.Length) < 0)
        || path == GoldenRules;

    public const string GoldenRules = "memory/golden-rules.md";

    /// <param name="journal">
    /// Noted before the branch moves and left for the caller to mark done once the arrived records have rows: a process
    /// killed after the move finishes the work with <see cref="Resume"/> at its next start. Null: not noted (tests).
    /// </param>
    public static IntegrationOutcome Integrate(MemoryPaths paths, string branchRef, string upstreamTip, string displayName, IntegrationJournal? journal = null)
    {
        var repo = paths.BasePath;
        var localTip = GitCli.Resolve(repo, branchRef);
        if (localTip == upstreamTip || (localTip is not null && GitCli.IsAncestor(repo, upstreamTip, localTip))) return IntegrationOutcome.Nothing;
        string newTip, how;
        if (localTip is null || GitCli.IsAncestor(repo, localTip, upstreamTip))
        {
            newTip = upstreamTip;
            how = "fast-forward";
        }
        else
        {
            var mergeBase = GitCli.Run(repo, ["merge-base", localTip, upstreamTip]).Trim();
            var ahead = AheadCommits(repo, upstreamTip, localTip);
            var personsCommits = ahead.Count(c => c.Trailers.Count == 0);
            var tree = CombinedTree(repo, mergeBase, localTip, upstreamTip);
            string message;
            List<string> parents;
            if (personsCommits == 0)
            {
                how = $"{ahead.Count} local commit{(ahead.Count == 1 ? "" : "s")} replayed on {displayName}";
                parents = [upstreamTip];
                message = ReplayMessage(ahead, displayName);
            }
            else
            {
                how = $"merged {displayName} ({personsCommits} of a person's commits kept as they are)";
                parents = [localTip, upstreamTip];
                message = $"elf: merge {displayName}\n";
            }
            var arguments = new List<string> { "commit-tree", tree };
            foreach (var parent in parents) arguments.AddRange(["-p", parent]);
            newTip = GitCli.Run(repo, arguments, message, environment: Identity(repo)).Trim();
        }

        var changed = ChangedPaths(repo, localTip, newTip);
        CheckWorkingTree(paths, localTip, changed);
        // git's index must follow the move: not while another git holds it (the round fails and the next one integrates).
        var indexLock = Path.GetFullPath(Path.Combine(repo, GitCli.Run(repo, ["rev-parse", "--git-path", "index.lock"]).Trim()));
        if (File.Exists(indexLock)) throw new GitLockHeldException("a git process holds the index; the integration waits for it", indexLock);
        journal?.Begin(localTip, newTip);
        // The compare-and-swap: a person's commit since we read the tip fails this, and the next round starts over.
        var move = GitCli.TryRun(repo, ["update-ref", "-m", "elf: sync " + how, branchRef, newTip, localTip ?? new string('0', 40)]);
        if (!move.Succeeded)
        {
            journal?.Done();
            throw new GitStoreException($"{branchRef} moved while the upstream was being integrated ({move.Reason}); the next round starts over");
        }
        FollowInIndexAndWorkingTree(paths, localTip, newTip, changed);
        return new IntegrationOutcome(localTip, newTip, how, changed);
    }

    /// <summary>
    /// Finishes an integration a killed process left noted in <paramref name="journal"/>: when the branch is still at the
    /// tip it moved to, git's index and the working tree follow it now (the caller then adds the arrived records' rows and
    /// marks the journal done). Null when nothing was noted; an outcome with no new tip (and why) when the branch has moved
    /// on since, by someone else: then there is nothing to follow.
    /// </summary>
    public static IntegrationOutcome? Resume(MemoryPaths paths, string branchRef, IntegrationJournal journal)
    {
        if (journal.Read() is not { } noted)
        {
            journal.Done(); // absent, or not ours to read: nothing to resume
            return null;
        }
        var tip = GitCli.Resolve(paths.BasePath, branchRef);
        if (tip != noted.NewTip)
            return new IntegrationOutcome(noted.OldTip, null, $"{branchRef} is at {tip ?? "no commit"}, not at {noted.NewTip} the integration moved it to", []);
        var changed = ChangedPaths(paths.BasePath, noted.OldTip, noted.NewTip);
        FollowInIndexAndWorkingTree(paths, noted.OldTip, noted.NewTip, changed);
        return new IntegrationOutcome(noted.OldTip, noted.NewTip, "resumed after the process that began it was stopped", changed);
    }

    private static List<string> ChangedPaths(string repo, string? oldTip, string newTip) =>
        oldTip is null ? SplitZ(GitCli.Run(repo, ["ls-tree", "-r", "-z", "--name-only", newTip]))
            : SplitZ(GitCli.Run(repo, ["diff", "--name-only", "--no-renames", "-z", oldTip, newTip]));

    private sealed record AheadCommit(string Id, string Subject, string Body, IReadOnlyList<string> Trailers);

    private static List<AheadCommit> AheadCommits(string repo, string upstreamTip, string localTip)
    {
        var log = GitCli.Run(repo, ["log", "--reverse", "--format=%H%x1f%B%x1e", $"{upstreamTip}..{localTip}"]);
        var commits = new List<AheadCommit>();
        foreach (var entry in log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('\x1f');
            if (parts.Length < 2) continue;
            var body = parts[1].Trim('\n');
            // Elf-Record and Elf-Entry trailers: the replayed commit keeps both (keys, files and entries, docs/adr/0036).
            var trailers = body.Split('\n').Where(l => l.StartsWith(CommitMessage.TrailerKey + ":", StringComparison.Ordinal)
                || l.StartsWith(CommitMessage.EntryTrailerKey + ":", StringComparison.Ordinal)).ToList();
            commits.Add(new AheadCommit(parts[0].Trim(), body.Split('\n')[0], body, trailers));
        }
        return commits;
    }

    /// <summary>One commit's message for elf's replayed commits: their subjects, then every trailer (keys and files kept).</summary>
    private static string ReplayMessage(IReadOnlyList<AheadCommit> ahead, string displayName)
    {
        if (ahead.Count == 1) return ahead[0].Body + "\n";
        var builder = new StringBuilder();
        builder.Append("elf: sync ").Append(ahead.Count).Append(" commits on top of ").Append(displayName).Append("\n\n");
        foreach (var commit in ahead) builder.Append(commit.Subject).Append('\n');
        builder.Append('\n');
        foreach (var commit in ahead) foreach (var trailer in commit.Trailers) builder.Append(trailer).Append('\n');
        return builder.ToString();
    }

    /// <summary>
    /// The upstream's tree with the local side's changes since the merge base on top. A path both sides changed is
    /// merged entry by entry when several machines append to it, and otherwise is a conflict for a person to settle.
    /// </summary>
    private static string CombinedTree(string repo, string mergeBase, string localTip, string upstreamTip)
    {
        var localChanges = SplitZ(GitCli.Run(repo, ["diff", "--name-only", "--no-renames", "-z", mergeBase, localTip]));
        var upstreamChanges = SplitZ(GitCli.Run(repo, ["diff", "--name-only", "--no-renames", "-z", mergeBase, upstreamTip])).ToHashSet(StringComparer.Ordinal);
        var temporaryIndex = Path.Combine(Path.GetTempPath(), $"elf-sync-index-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var environment = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = temporaryIndex };
        try
        {
            GitCli.Run(repo, ["read-tree", upstreamTip], environment: environment);
            var localEntries = GitListings.InCommit(repo, localTip, localChanges);
            var upstreamEntries = GitListings.InCommit(repo, upstreamTip, localChanges);
            var baseEntries = GitListings.InCommit(repo, mergeBase, localChanges);
            var info = new StringBuilder();
            foreach (var path in localChanges)
            {
                localEntries.TryGetValue(path, out var ours);
                upstreamEntries.TryGetValue(path, out var theirs);
                if (!upstreamChanges.Contains(path) || ours == theirs)
                {
                    info.Append(ours is null ? $"0 {new string('0', 40)}\t{path}" : $"{ours.Value.Mode} {ours.Value.Blob}\t{path}").Append('\0');
                    continue;
                }
                if (!IsAppendFile(path) || ours is null || theirs is null)
                    throw new SyncConflictException($"{path} was changed here and on the remote; settle it by hand (git pull), then sync again");
                var baseText = baseEntries.TryGetValue(path, out var baseEntry) ? BlobText(repo, baseEntry!.Value.Blob) : string.Empty;
                var merged = MergeAppended(path, baseText, BlobText(repo, ours.Value.Blob), BlobText(repo, theirs.Value.Blob))
                    ?? throw new SyncConflictException($"{path} was edited (not only appended to) on both sides; settle it by hand (git pull), then sync again");
                var blob = GitCli.Run(repo, ["hash-object", "-w", "--stdin"], merged).Trim();
                info.Append($"{theirs.Value.Mode} {blob}\t{path}").Append('\0');
            }
            if (info.Length > 0) GitCli.Run(repo, ["update-index", "-z", "--index-info"], info.ToString(), environment: environment);
            return GitCli.Run(repo, ["write-tree"], environment: environment).Trim();
        }
        finally
        {
            AtomicFile.TryDelete(temporaryIndex);
            AtomicFile.TryDelete(temporaryIndex + ".lock");
        }
    }

    /// <summary>
    /// The upstream's text with what the local side appended (heuristics: every entry the upstream lacks, in the local
    /// order; other append files: the text added after the common start), or null when the local side did more than append.
    /// </summary>
    public static string? MergeAppended(string path, string baseText, string localText, string upstreamText)
    {
        if (path.StartsWith(Markdown.HeuristicMarkdown.Folder, StringComparison.Ordinal))
        {
            var missing = HeuristicEntries(localText).Where(e => !upstreamText.Contains(e, StringComparison.Ordinal)).ToList();
            return AppendTo(upstreamText, missing);
        }
        if (!localText.StartsWith(baseText, StringComparison.Ordinal)) return null;
        var added = localText[baseText.Length..];
        return added.Length == 0 || upstreamText.Contains(added, StringComparison.Ordinal) ? upstreamText : AppendTo(upstreamText, [added]);
    }

    private static string AppendTo(string text, IReadOnlyList<string> additions)
    {
        if (additions.Count == 0) return text;
        var builder = new StringBuilder(text);
        if (builder.Length > 0 && builder[^1] != '\n') builder.Append('\n');
        foreach (var addition in additions) builder.Append(addition);
        return builder.ToString();
    }

    [GeneratedRegex(@"^## H-\d+: ", RegexOptions.Multiline)]
    private static partial Regex HeuristicHeading();

    /// <summary>A heuristics file's entries, each exactly as written: from its <c>## H-n:</c> heading to the next one (or the end).</summary>
    public static IReadOnlyList<string> HeuristicEntries(string text)
    {
        var starts = HeuristicHeading().Matches(text).Select(m => m.Index).ToList();
        return starts.Select((start, i) => text[start..(i + 1 < starts.Count ? starts[i + 1] : text.Length)]).ToList();
    }

    /// <summary>
    /// Refuses (before anything moves) when a path the integration changes holds a person's uncommitted edit in the
    /// working tree: writing the remote's version would lose it. Record files elf wrote and has not committed yet are
    /// new paths of their own; append files keep their local entries (see <see cref="FollowInIndexAndWorkingTree"/>).
    /// </summary>
    private static void CheckWorkingTree(MemoryPaths paths, string? localTip, IReadOnlyList<string> changed)
    {
        var old = localTip is null ? [] : GitListings.InCommit(paths.BasePath, localTip, changed);
        foreach (var path in changed)
        {
            var absolute = paths.Absolute(path);
            if (!File.Exists(absolute)) continue;
            var bytes = File.ReadAllBytes(absolute);
            if (old.TryGetValue(path, out var entry) && entry!.Value.Blob == Storage.RecordKeys.ContentHash(bytes)) continue;
            if (IsAppendFile(path) && MergeAppended(path, entry is null ? string.Empty : BlobText(paths.BasePath, entry.Value.Blob),
                    Encoding.UTF8.GetString(bytes), string.Empty) is not null) continue; // only appended to: its entries are kept
            throw new SyncConflictException($"{path} has uncommitted changes in the working tree that the remote also changed; commit or move them, then sync again");
        }
    }

    /// <summary>git's index takes the new tree for the changed paths; the working tree gets the new files, and append files keep local entries not yet committed.</summary>
    private static void FollowInIndexAndWorkingTree(MemoryPaths paths, string? localTip, string newTip, IReadOnlyList<string> changed)
    {
        var repo = paths.BasePath;
        var now = GitListings.InCommit(repo, newTip, changed);
        var info = new StringBuilder();
        foreach (var path in changed)
            info.Append(now.TryGetValue(path, out var entry) ? $"{entry!.Value.Mode} {entry.Value.Blob}\t{path}" : $"0 {new string('0', 40)}\t{path}").Append('\0');
        if (info.Length > 0) GitCli.Run(repo, ["update-index", "-z", "--index-info"], info.ToString());
        var old = localTip is null ? [] : GitListings.InCommit(repo, localTip, changed);
        var checkout = new StringBuilder();
        foreach (var path in changed)
        {
            var absolute = paths.Absolute(path);
            if (!now.TryGetValue(path, out var entry))
            {
                // Removed upstream: the working file goes too when it is exactly what the old tip held.
                if (old.TryGetValue(path, out var was) && File.Exists(absolute)
                    && Storage.RecordKeys.ContentHash(File.ReadAllBytes(absolute)) == was!.Value.Blob) File.Delete(absolute);
                continue;
            }
            if (!IsAppendFile(path))
            {
                checkout.Append(path).Append('\0'); // byte for byte, mode and all, by git itself
                continue;
            }
            // The file's one writer (its domain actor) appends under the same gate: its new entries stay after the remote's.
            var incoming = BlobText(repo, entry!.Value.Blob);
            var oldText = old.TryGetValue(path, out var before) ? BlobText(repo, before!.Value.Blob) : string.Empty;
            Directory.CreateDirectory(Path.GetDirectoryName(absolute)!);
            AppendOnlyFile.Replace(absolute, current => current is null ? incoming
                : MergeAppended(path, oldText, current, incoming)
                    ?? throw new SyncConflictException($"{path} was edited in the working tree meanwhile; settle it by hand"));
        }
        if (checkout.Length > 0) GitCli.Run(repo, ["checkout-index", "-f", "-z", "--stdin"], checkout.ToString());
        // Refresh the stat data of what was written, so `git status` does not read every file again.
        GitCli.TryRun(repo, ["update-index", "-q", "--refresh"]);
    }

    private static string BlobText(string repo, string blob) => GitCli.Run(repo, ["cat-file", "blob", blob]);

    private static List<string> SplitZ(string output) => output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>commit-tree needs an identity: the person's git configuration, else the one elf's own commits use.</summary>
    private static Dictionary<string, string>? Identity(string repo)
    {
        if (GitCli.TryRun(repo, ["var", "GIT_COMMITTER_IDENT"]).Succeeded) return null;
        return new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = "ElfActors", ["GIT_AUTHOR_EMAIL"] = "elfactors@localhost",
            ["GIT_COMMITTER_NAME"] = "ElfActors", ["GIT_COMMITTER_EMAIL"] = "elfactors@localhost",
        };
    }
}
