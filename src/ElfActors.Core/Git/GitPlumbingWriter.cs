using System.Text;

namespace ElfActors.Core.Git;

/// <summary>
/// The conservative writer: every object and the index entry are made by git's own plumbing, so whatever git would
/// do for these paths it does (clean filters, LFS, core.autocrlf, index versions and extensions, sparse index,
/// fsmonitor, object format). The commit's tree is built in a private index (the parent's tree plus our files), so a
/// person's staged work never enters it:
/// <c>hash-object -w --stdin-paths</c> → <c>read-tree</c> + <c>update-index --index-info</c> on a temporary index →
/// <c>write-tree</c> → <c>commit-tree</c> → <c>update-index --add</c> on the real index → <c>update-ref</c> with the old
/// tip. Slower (a process per step, and read-tree costs the size of the tree), never wrong in a different way than git.
/// </summary>
internal sealed class GitPlumbingWriter(string workTree, string gitDirectory) : IRecordCommitWriter
{
    private const int MaxRebuilds = 5;

    public string Name => "git";

    /// <summary>Runs after the commit is built and before the branch moves: tests commit "as a person" here.</summary>
    internal Action? BeforeBranchMove { get; set; }

    public string Commit(string branch, IReadOnlyList<StagedFile> files, string message)
    {
        var paths = files.Select(f => f.Path).ToList();
        // Blobs as git stores these paths (filters and line endings applied), from the files on disk: the bytes git's
        // own index entry will describe, so that `git status` agrees with the commit.
        if (paths.Any(p => p.Contains('\n', StringComparison.Ordinal))) throw new GitStoreException("a record path holds a newline");
        var blobs = GitCli.Run(workTree, ["hash-object", "-w", "--stdin-paths"], string.Join('\n', paths) + "\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (blobs.Length != paths.Count) throw new GitStoreException($"git hash-object returned {blobs.Length} ids for {paths.Count} files");
        var zero = new string('0', blobs[0].Length);
        var indexInfo = new StringBuilder();
        for (var i = 0; i < paths.Count; i++) indexInfo.Append("100644 ").Append(blobs[i]).Append('\t').Append(paths[i]).Append('\0');
        var identity = Identity();

        for (var attempt = 1; ; attempt++)
        {
            var parent = GitCli.Resolve(workTree, branch);
            var temporaryIndex = Path.Combine(gitDirectory, $"elf-commit-{Environment.ProcessId}.index");
            var privateIndex = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = temporaryIndex };
            string tree;
            try
            {
                File.Delete(temporaryIndex);
                if (parent is not null) Checked(GitCli.TryRun(workTree, ["read-tree", parent], environment: privateIndex), "read-tree");
                Checked(GitCli.TryRun(workTree, ["update-index", "-z", "--add", "--index-info"], indexInfo.ToString(), privateIndex), "update-index --index-info");
                tree = Checked(GitCli.TryRun(workTree, ["write-tree"], environment: privateIndex), "write-tree").Trim();
            }
            finally
            {
                File.Delete(temporaryIndex);
            }
            var commitArguments = new List<string> { "commit-tree", tree };
            if (parent is not null) commitArguments.AddRange(["-p", parent]);
            var commit = Checked(GitCli.TryRun(workTree, commitArguments, message, identity), "commit-tree").Trim();

            // Index first, as the fast writer does: a person who commits between the two steps includes our files.
            if (attempt == 1)
            {
                // Not while a person's git runs: files staged and then held would make their rebase or pull refuse a dirty index.
                PersonGit.ThrowIfRunningNow(workTree);
                GitCli.RunWithPaths(workTree, ["update-index", "--add", "-z", "--stdin"], paths);
            }
            BeforeBranchMove?.Invoke();
            var indexLock = Path.Combine(gitDirectory, "index.lock");
            if (File.Exists(indexLock)) throw new GitLockHeldException("a git process holds the index; the branch waits for it", indexLock);
            try
            {
                GitCli.Run(workTree, ["update-ref", "-m", "elf: " + NativeCommitWriter.FirstLine(message), branch, commit, parent ?? zero]);
                return commit;
            }
            catch (GitBranchMovedException) when (attempt < MaxRebuilds)
            {
                // Someone committed in between: their commit stays, ours is rebuilt on top of it.
            }
        }
    }

    /// <summary>The repository's user.name / user.email when set; otherwise ElfActors' own, as the fast writer signs.</summary>
    private Dictionary<string, string> Identity()
    {
        var environment = new Dictionary<string, string>();
        if (!GitCli.TryRun(workTree, ["config", "user.name"]).Succeeded)
        {
            environment["GIT_AUTHOR_NAME"] = environment["GIT_COMMITTER_NAME"] = "ElfActors";
        }
        if (!GitCli.TryRun(workTree, ["config", "user.email"]).Succeeded)
        {
            environment["GIT_AUTHOR_EMAIL"] = environment["GIT_COMMITTER_EMAIL"] = "elfactors@localhost";
        }
        return environment;
    }

    private static string Checked(GitResult result, string step) =>
        result.Succeeded ? result.Stdout : throw new GitStoreException($"git {step} failed ({result.ExitCode}): {result.Stderr.Trim()}");

    public void Dispose()
    {
    }
}
