using System.Globalization;
using System.Text;
using LibGit2Sharp;

namespace ElfActors.Core.Git;

/// <summary>
/// The committer's view of the repository. Commits records without touching anything else in it through one of two
/// writers behind <see cref="IRecordCommitWriter"/> (docs/git-writer.md): the fast in-process one, or git's own
/// plumbing where the fast one would not store what git stores (or where elf.committer.git-writer = git).
/// </summary>
public sealed class GitStore : IGitStore
{
    private readonly Repository _repository;
    private readonly MemoryPaths _paths;
    private readonly string _objectsDirectory;
    private readonly NativeCommitWriter _native;
    private readonly GitPlumbingWriter _plumbing;
    private readonly PersonGit _personGit;

    public GitStore(MemoryPaths paths)
    {
        _paths = paths;
        EnsureRepository(paths);
        _repository = new Repository(paths.BasePath);
        _objectsDirectory = ObjectsDirectory(_repository.Info.Path);
        _native = new NativeCommitWriter(_repository, paths.BasePath, _objectsDirectory);
        _plumbing = new GitPlumbingWriter(paths.BasePath, _repository.Info.Path);
        _personGit = new PersonGit(paths.BasePath, _repository.Info.Path) { TrustUnchangedFor = PersonGitTrust };
        Branch = HeadBranch();
    }

    /// <summary>
    /// How long the committer trusts a /proc scan that found no person's git while nothing in the git folder changed but
    /// its own commits (docs/adr/0040): a scan costs 40–80 ms on a loaded machine, once per batch before.
    /// </summary>
    private static readonly TimeSpan PersonGitTrust = TimeSpan.FromSeconds(1);

    public string GitDirectory => _repository.Info.Path;

    /// <summary>Scans of /proc for a person's git made by <see cref="HoldReason"/> so far.</summary>
    internal int PersonGitScans => _personGit.Scans;

    /// <summary>
    /// The writer asked for (elf.committer.git-writer): "fast" (the default) uses <see cref="NativeCommitWriter"/>
    /// wherever it is exact and git's plumbing elsewhere; "git" always uses git's plumbing.
    /// </summary>
    public string PreferredWriter
    {
        get => _preferred;
        set => _preferred = value is "fast" or "git" ? value : throw new ArgumentException($"elf.committer.git-writer must be fast or git (got '{value}')", nameof(value));
    }

    private string _preferred = "fast";

    /// <summary>The writer of the last commit and, when it is not the one asked for, why (shown in elf status, logged by the committer).</summary>
    public string WriterInUse { get; private set; } = "fast";

    public string? WriterFallbackReason { get; private set; }

    /// <summary>Where objects live: the repository's own folder, or for a linked worktree the main repository's.</summary>
    private static string ObjectsDirectory(string gitDirectory)
    {
        var commonDir = Path.Combine(gitDirectory, "commondir");
        var common = File.Exists(commonDir) ? Path.GetFullPath(Path.Combine(gitDirectory, File.ReadAllText(commonDir).Trim())) : gitDirectory;
        return Path.Combine(common, "objects");
    }

    public static GitStoreFactory Factory { get; } = paths => new GitStore(paths);

    /// <summary>Index size (bytes) above which git is asked to split the index: about 45,000 entries.</summary>
    internal long SplitIndexThreshold { get => _native.SplitIndexThreshold; set => _native.SplitIndexThreshold = value; }

    /// <summary>Trees read back from the repository rather than remembered from the last commit.</summary>
    internal int TreesRead => _native.TreesRead;

    /// <summary>Runs after the commit is built and before the branch moves: tests commit "as a person" here.</summary>
    internal Action? BeforeBranchMove
    {
        get => _native.BeforeBranchMove;
        set => _native.BeforeBranchMove = _plumbing.BeforeBranchMove = value;
    }

    /// <summary>Index updates the fast writer made in-process; and why git made the last one it made.</summary>
    internal int IndexUpdatesInProcess => _native.IndexUpdatesInProcess;

    internal string? LastIndexUpdateByGit => _native.LastIndexUpdateByGit;

    internal long IndexContentChecks => _native.IndexContentChecks;

    internal int BranchMovesInProcess => _native.BranchMovesInProcess;

    internal string? LastBranchMoveByGit => _native.LastBranchMoveByGit;

    /// <summary>Times the fast writer found git's index changed between reading it and taking its lock, and read it again (docs/adr/0060).</summary>
    internal int IndexChangedBeforeLock => _native.IndexChangedBeforeLock;

    /// <summary>Runs after the fast writer has built the new index and before it takes <c>index.lock</c>: tests run a person's git here.</summary>
    internal Action? AfterIndexBuilt
    {
        get => _native.AfterIndexBuilt;
        set => _native.AfterIndexBuilt = value;
    }

    /// <summary>Makes the base folder a git repository (if it is not one) that ignores the live index and our working files.</summary>
    public static void EnsureRepository(MemoryPaths paths)
    {
        if (GitCli.TooOld(GitCli.Version) is { } tooOld) throw new UnsupportedRepositoryException(tooOld);
        Directory.CreateDirectory(paths.BasePath);
        if (Directory.Exists(Path.Combine(paths.BasePath, ".git")) || File.Exists(Path.Combine(paths.BasePath, ".git"))) RefuseUnsupported(paths);
        if (!Repository.IsValid(paths.BasePath))
        {
            // A host killed while it initialised the repository leaves .git/config.lock behind, and every later
            // init fails on it. Only the host that holds the memory's lock initialises, so a lock no process
            // holds open is that crash's leftover.
            var configLock = Path.Combine(paths.BasePath, ".git", "config.lock");
            if (File.Exists(configLock)) StaleLocks.TryRemove(configLock, TimeSpan.Zero, DateTimeOffset.UtcNow, out _);
            Repository.Init(paths.BasePath);
        }
        // git reads info/exclude from the common git folder: for a linked worktree that is the main repository's.
        var infoDirectory = Path.Combine(CommonGitDirectory(paths.BasePath), "info");
        Directory.CreateDirectory(infoDirectory);
        var exclude = Path.Combine(infoDirectory, "exclude");
        const string marker = "# ElfActors: the live index and working files are never committed";
        var existing = File.Exists(exclude) ? File.ReadAllText(exclude) : string.Empty;
        if (existing.Contains(marker, StringComparison.Ordinal)) return;
        var block = new StringBuilder();
        if (existing.Length > 0 && !existing.EndsWith('\n')) block.Append('\n');
        block.Append(marker).Append('\n')
            .Append("/memory/index.db\n/memory/index.db-*\n/memory/.elf/\n.elf-*.tmp\n");
        File.AppendAllText(exclude, block.ToString());
    }

    /// <summary>
    /// Refuses, before anything is opened, a repository the committer cannot write correctly (and, in
    /// <see cref="EnsureRepository"/>, a git older than <see cref="GitCli.MinimumVersion"/>): a SHA-256 one
    /// (LibGit2Sharp, which reads history here, opens SHA-1 repositories only).
    /// </summary>
    private static void RefuseUnsupported(MemoryPaths paths)
    {
        var format = GitCli.TryRun(paths.BasePath, ["rev-parse", "--show-object-format"]);
        if (format.Succeeded && format.Stdout.Trim() is { Length: > 0 } name && name != "sha1")
            throw new UnsupportedRepositoryException(
                $"{paths.BasePath} is a {name.ToUpperInvariant()} git repository (extensions.objectFormat = {name}); ElfActors supports SHA-1 repositories only. " +
                "Keep the memory in a SHA-1 repository (git init --object-format=sha1).");
    }

    /// <summary>The repository's common git folder (for a linked worktree, the main repository's .git).</summary>
    private static string CommonGitDirectory(string workTree)
    {
        var dotGit = Path.Combine(workTree, ".git");
        if (Directory.Exists(dotGit)) return dotGit;
        var common = GitCli.Run(workTree, ["rev-parse", "--git-common-dir"]).Trim();
        return Path.GetFullPath(Path.Combine(workTree, common));
    }

    public string CommitFiles(IReadOnlyList<string> relativePaths, string message) =>
        CommitFiles(relativePaths.Select(p => StagedFile.Read(p, _paths.Absolute(p))).ToList(), message);

    public string CommitFiles(IReadOnlyList<StagedFile> contents, string message) => CommitFiles(contents, message.AsMemory());

    public string CommitFiles(IReadOnlyList<StagedFile> contents, ReadOnlyMemory<char> message)
    {
        if (contents.Count == 0) throw new ArgumentException("Nothing to commit.", nameof(contents));
        contents = contents.DistinctBy(f => f.Path, StringComparer.Ordinal).ToList(); // heuristics of one domain share a file
        var reason = PreferredWriter == "git" ? null : FastWriterCannot(contents);
        IRecordCommitWriter writer = PreferredWriter == "git" || reason is not null ? _plumbing : _native;
        WriterInUse = writer.Name;
        WriterFallbackReason = reason;
        var commit = writer.Commit(CurrentBranch(), contents, message);
        // Looked for after the branch moved: a git that started in the few milliseconds between the writer's look before
        // staging and the move is still running now if it is to commit afterwards (docs/adr/0048).
        ForeignGitsAfterLastCommit = PersonGit.AllRunningNow(_paths.BasePath);
        _personGit.OwnWritesDone();
        return commit;
    }

    public IReadOnlyList<GitProcessId> ForeignGitsAfterLastCommit { get; private set; } = [];

    public int StageAsCommitted(string commitId, IReadOnlyCollection<string> relativePaths)
    {
        var committed = GitListings.InCommit(_paths.BasePath, commitId, relativePaths);
        var inIndex = GitListings.InIndex(_paths.BasePath, relativePaths);
        var info = new System.Text.StringBuilder();
        var staged = 0;
        foreach (var (path, entry) in committed)
        {
            if (inIndex.TryGetValue(path, out var indexed) && indexed == entry) continue;
            info.Append(entry!.Value.Mode).Append(' ').Append(entry.Value.Blob).Append('\t').Append(path).Append('\0');
            staged++;
        }
        if (info.Length > 0) GitCli.Run(_paths.BasePath, ["update-index", "-z", "--index-info"], info.ToString());
        return staged;
    }

    /// <summary>The stages of the last commit the fast writer made (none for git's plumbing): docs/performance.md#where-a-batch-goes.</summary>
    public IReadOnlyList<(string Stage, double Ms)> LastCommitStages => WriterInUse == _native.Name ? _native.Stages.Laps : [];

    /// <summary>The fast writer's last pack, its wall time on the pack thread, beside the commit's stages (overlapped with
    /// the index build: not one of them); null for git's plumbing (docs/adr/0072).</summary>
    public double? LastPackWriteMs => WriterInUse == _native.Name ? _native.LastPackWriteMs : null;

    /// <summary>The pack thread's CPU for the fast writer's last pack; null for git's plumbing.</summary>
    public double? LastPackCpuMs => WriterInUse == _native.Name ? _native.LastPackCpuMs : null;

    /// <summary>Runs on the fast writer's pack thread before a batch's pack is written (tests).</summary>
    internal Action? BeforePackWritten
    {
        get => _native.BeforePackWritten;
        set => _native.BeforePackWritten = value;
    }

    /// <summary>
    /// Why the fast writer would not store what git stores for these files, or null when it would: git might convert
    /// the bytes on disk (line endings, clean filters, LFS), so the commit must hold git's blob, not the raw bytes.
    /// </summary>
    private string? FastWriterCannot(IReadOnlyList<StagedFile> files) =>
        GitConvertsContent(files) ? "attributes or core.autocrlf may convert the record files (git's plumbing applies them)" : null;

    /// <summary>
    /// Whether git might store something other than the bytes on disk (line endings, clean filters): any
    /// attributes file that could apply, or core.autocrlf. Then git computes the index entries itself.
    /// </summary>
    private bool GitConvertsContent(IReadOnlyList<StagedFile> files)
    {
        var autocrlf = _repository.Config.Get<string>("core.autocrlf")?.Value;
        if (autocrlf is not null && !autocrlf.Equals("false", StringComparison.OrdinalIgnoreCase)) return true;
        if (File.Exists(Path.Combine(Path.GetDirectoryName(_objectsDirectory)!, "info", "attributes"))) return true;
        var global = _repository.Config.Get<string>("core.attributesFile")?.Value;
        var home = Environment.GetEnvironmentVariable("HOME");
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : home is null ? null : Path.Combine(home, ".config");
        if (global is not null ? File.Exists(global.StartsWith("~/", StringComparison.Ordinal) && home is not null ? Path.Combine(home, global[2..]) : global)
            : xdg is not null && File.Exists(Path.Combine(xdg, "git", "attributes"))) return true;
        var folders = new HashSet<string>(StringComparer.Ordinal) { string.Empty };
        foreach (var file in files)
            for (var slash = file.Path.IndexOf('/'); slash > 0; slash = file.Path.IndexOf('/', slash + 1))
                folders.Add(file.Path[..slash]);
        return folders.Any(folder => File.Exists(Path.Combine(_paths.BasePath, folder, ".gitattributes")));
    }

    public IReadOnlyDictionary<string, string> FindTrailerCommits(DateTimeOffset since)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var tip = _repository.Refs[CurrentBranch()]?.ResolveToDirectReference()?.Target as Commit;
        if (tip is null) return found;
        var filter = new CommitFilter { IncludeReachableFrom = tip, SortBy = CommitSortStrategies.Time };
        foreach (var commit in _repository.Commits.QueryBy(filter))
        {
            if (commit.Committer.When < since) break;
            foreach (var key in CommitMessage.TrailerKeys(commit.Message)) found.TryAdd(key, commit.Sha);
        }
        return found;
    }

    /// <summary>The memory's branch (docs/adr/0018): the branch commits go to, by name, whatever HEAD points at later.</summary>
    public string? Branch { get; set; }

    /// <summary>The branch HEAD points at, or null when HEAD is detached.</summary>
    public string? HeadBranch() =>
        _repository.Refs.Head is SymbolicReference symbolic && symbolic.TargetIdentifier.StartsWith("refs/heads/", StringComparison.Ordinal)
            ? symbolic.TargetIdentifier
            : null;

    // What a person's multi-step git operation leaves in the git folder while it runs (git's own wt-status.c checks).
    private static readonly (string Marker, string What)[] InProgress =
    [
        ("rebase-merge", "a rebase"), ("rebase-apply", "a rebase or git am"), ("MERGE_HEAD", "a merge"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"), ("REVERT_HEAD", "a revert"), ("sequencer", "a cherry-pick or revert"),
        ("BISECT_LOG", "a bisect"),
    ];

    public string? HoldReason()
    {
        var gitDirectory = _repository.Info.Path;
        foreach (var (marker, what) in InProgress)
        {
            var path = Path.Combine(gitDirectory, marker);
            if (File.Exists(path) || Directory.Exists(path))
                return $"holding commits: {what} is in progress (.git/{marker}); records wait in the outbox until it ends";
        }
        if (_personGit.Running() is { } pid)
        {
            // A person's `git commit` in its editor holds the index lock for as long as it takes: say whose it is.
            var indexLock = Path.Combine(gitDirectory, "index.lock");
            if (File.Exists(indexLock))
                return $"waiting for a lock held by pid {pid.ToString(CultureInfo.InvariantCulture)} (git): {indexLock}; records wait in the outbox until it ends";
            return PersonGit.HoldMessage(pid);
        }
        var head = HeadBranch();
        if (head is null) return "holding commits: HEAD is detached; records wait in the outbox until a branch is checked out";
        Branch ??= head;
        return head == Branch
            ? null
            : $"holding commits: HEAD is on {ShortName(head)}, the memory's branch is {ShortName(Branch)}; records wait in the outbox until {ShortName(Branch)} is checked out again";
    }

    private static string ShortName(string branch) => branch.StartsWith("refs/heads/", StringComparison.Ordinal) ? branch["refs/heads/".Length..] : branch;

    public string? BranchTip() => Branch is null ? null : _repository.Refs[Branch]?.ResolveToDirectReference()?.TargetIdentifier;

    public bool IsAncestor(string ancestor, string descendant)
    {
        if (ancestor == descendant) return true;
        // The commit just made on it (the committer asks after each batch): no lookup of a commit in a pack libgit2 has not opened yet.
        if (_native.MadeLastOn(descendant, ancestor)) return true;
        var a = _repository.Lookup<Commit>(ancestor);
        var d = _repository.Lookup<Commit>(descendant);
        if (a is null || d is null) return false; // a commit gc pruned: history moved
        return _repository.ObjectDatabase.FindMergeBase(a, d)?.Sha == a.Sha;
    }

    public IReadOnlyDictionary<string, string> BlobsAt(string commitId, IReadOnlyCollection<string> relativePaths)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var commit = _repository.Lookup<Commit>(commitId) ?? throw new GitStoreException($"{commitId} is not a commit here");
        // One pass over each folder's tree, not a lookup by path per file: libgit2 does not cache a tree object larger
        // than 4 KiB, so every lookup parsed the whole folder again, and N files in one folder (ELF keeps every failure
        // in memory/failures/) cost N² (docs/adr/0035).
        foreach (var folder in relativePaths.GroupBy(FolderOf, StringComparer.Ordinal))
        {
            var tree = folder.Key.Length == 0 ? commit.Tree : commit[folder.Key]?.Target as Tree;
            if (tree is null) continue;
            var wanted = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var path in folder) wanted.TryAdd(path[(folder.Key.Length == 0 ? 0 : folder.Key.Length + 1)..], path);
            foreach (var entry in tree)
                if (entry.TargetType == TreeEntryTargetType.Blob && wanted.TryGetValue(entry.Name, out var path)) found[path] = entry.Target.Sha;
        }
        return found;
    }

    private static string FolderOf(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        return slash < 0 ? string.Empty : relativePath[..slash];
    }

    public IEnumerable<(string Path, string Blob)> FilesInPathOrder(string commitId, string folder)
    {
        var commit = _repository.Lookup<Commit>(commitId) ?? throw new GitStoreException($"{commitId} is not a commit here");
        return commit[folder]?.Target is Tree tree ? FilesDepthFirst(tree, folder) : [];
    }

    // git sorts a tree's entries by name, a folder's as if it ended in '/': depth first, full paths come out in byte order.
    private static IEnumerable<(string Path, string Blob)> FilesDepthFirst(Tree tree, string prefix)
    {
        foreach (var entry in tree)
        {
            var path = prefix + "/" + entry.Name;
            if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                foreach (var file in FilesDepthFirst((Tree)entry.Target, path)) yield return file;
            }
            else if (entry.TargetType == TreeEntryTargetType.Blob) yield return (path, entry.Target.Sha);
        }
    }

    public string? ReadBlobText(string blobId) => _repository.Lookup<Blob>(blobId)?.GetContentText();

    public IReadOnlyDictionary<string, string> DeletedByPerson(string tipId, IReadOnlyCollection<string> relativePaths) =>
        DeletedByPerson(_paths.BasePath, tipId, relativePaths);

    /// <summary>Of these files, those a commit without <c>Elf-Record</c> trailers removed last in the history of <paramref name="tip"/>, each with that commit.</summary>
    public static IReadOnlyDictionary<string, string> DeletedByPerson(string basePath, string tip, IReadOnlyCollection<string> relativePaths)
    {
        var deleted = new Dictionary<string, string>(StringComparer.Ordinal);
        if (relativePaths.Count == 0) return deleted;
        var wanted = relativePaths.ToHashSet(StringComparer.Ordinal);
        // Newest first: the latest commit that removed each path decides.
        // Streamed one commit at a time: the history of deletions is not held at once.
        var decided = new HashSet<string>(StringComparer.Ordinal);
        GitCli.RunStreamed(basePath, ["log", "--format=%x1e%H%x1f%B%x1f", "--diff-filter=D", "--name-only", "--no-renames", tip, "--", "memory/"], '\x1e', entry =>
        {
            var parts = entry.Split('\x1f');
            if (parts.Length < 3) return;
            var byHost = CommitMessage.TrailerKeys(parts[1]).Any();
            foreach (var path in parts[2].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!wanted.Contains(path) || !decided.Add(path)) continue;
                if (!byHost) deleted[path] = parts[0].Trim();
            }
        });
        return deleted;
    }

    private string CurrentBranch() =>
        Branch ?? HeadBranch() ?? throw new GitStoreException("HEAD is detached (a rebase or bisect in progress?); records wait until a branch is checked out");

    public void Dispose()
    {
        _native.Dispose();
        _plumbing.Dispose();
        _repository.Dispose();
    }
}
