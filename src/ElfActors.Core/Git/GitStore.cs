using System.Buffers;
using System.Globalization;
using System.Text;
using LibGit2Sharp;

namespace ElfActors.Core.Git;

/// <summary>
/// Commits records without touching anything else in the repository. Blobs, trees and the commit are built
/// in-process from the parent's tree and written as one pack per batch (cost does not grow with the size of the
/// repository or the index: see <see cref="TreeBuilder"/>); the index is updated for our paths only, under
/// git's index.lock (new paths in-process by <see cref="IndexAppender"/>, anything else by `git update-index`:
/// docs/adr/0012), and the branch is moved by git's compare-and-swap (docs/adr/0002).
/// </summary>
public sealed class GitStore : IGitStore
{
    private const int MaxRebuilds = 5;
    private const int MaxPacks = 50;
    private const string ZeroId = "0000000000000000000000000000000000000000";
    private readonly Repository _repository;
    private readonly MemoryPaths _paths;
    private readonly string _objectsDirectory;
    private readonly TreeBuilder _trees;
    private readonly IndexAppender _indexAppender;
    private (string Commit, string Tree)? _lastCommit;
    private Task? _packMerge;
    private readonly PersonGit _personGit;

    public GitStore(MemoryPaths paths)
    {
        _paths = paths;
        EnsureRepository(paths);
        _repository = new Repository(paths.BasePath);
        _objectsDirectory = ObjectsDirectory(_repository.Info.Path);
        _trees = new TreeBuilder(ReadTree);
        _indexAppender = new IndexAppender(_repository.Info.Path, paths.BasePath);
        _personGit = new PersonGit(paths.BasePath);
        Branch = HeadBranch();
        // Split a large index now, at start, rather than in the first batch's commit (8.8 MB rewritten at
        // 100,000 files: seconds on a busy machine, paid by every record of that batch).
        if (SplitLargeIndex().Length > 0)
        {
            try { GitCli.Run(paths.BasePath, ["-c", "core.splitIndex=true", "update-index", "--split-index"]); }
            catch (GitStoreException) { } // a lock held by a person's git: the first commit splits it instead
        }
    }

    /// <summary>Where objects live: the repository's own folder, or for a linked worktree the main repository's.</summary>
    private static string ObjectsDirectory(string gitDirectory)
    {
        var commonDir = Path.Combine(gitDirectory, "commondir");
        var common = File.Exists(commonDir) ? Path.GetFullPath(Path.Combine(gitDirectory, File.ReadAllText(commonDir).Trim())) : gitDirectory;
        return Path.Combine(common, "objects");
    }

    public static GitStoreFactory Factory { get; } = paths => new GitStore(paths);

    /// <summary>Index size (bytes) above which git is asked to split the index: about 45,000 entries.</summary>
    internal long SplitIndexThreshold { get; set; } = 4L << 20;

    /// <summary>Trees read back from the repository rather than remembered from the last commit.</summary>
    internal int TreesRead => _trees.TreesRead;

    /// <summary>Runs after the commit is built and before the branch moves: tests commit "as a person" here.</summary>
    internal Action? BeforeBranchMove { get; set; }

    /// <summary>Makes the base folder a git repository (if it is not one) that ignores the live index and our working files.</summary>
    public static void EnsureRepository(MemoryPaths paths)
    {
        Directory.CreateDirectory(paths.BasePath);
        if (!Repository.IsValid(paths.BasePath))
        {
            // A host killed while it initialised the repository leaves .git/config.lock behind, and every later
            // init fails on it. Only the host that holds the memory's lock initialises, so a lock no process
            // holds open is that crash's leftover.
            var configLock = Path.Combine(paths.BasePath, ".git", "config.lock");
            if (File.Exists(configLock)) StaleLocks.TryRemove(configLock, TimeSpan.Zero, DateTimeOffset.UtcNow, out _);
            Repository.Init(paths.BasePath);
        }
        var infoDirectory = Path.Combine(paths.BasePath, ".git", "info");
        if (!Directory.Exists(Path.Combine(paths.BasePath, ".git"))) return; // a gitfile (worktree): leave its excludes alone
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

    public string CommitFiles(IReadOnlyList<string> relativePaths, string message) =>
        CommitFiles(relativePaths.Select(p => StagedFile.Read(p, _paths.Absolute(p))).ToList(), message);

    public string CommitFiles(IReadOnlyList<StagedFile> contents, string message)
    {
        if (contents.Count == 0) throw new ArgumentException("Nothing to commit.", nameof(contents));
        contents = contents.DistinctBy(f => f.Path, StringComparer.Ordinal).ToList(); // heuristics of one domain share a file
        var relativePaths = contents.Select(f => f.Path).ToList();
        var blobs = contents.Select(f => new GitObject(GitObjectType.Blob, f.Content)).ToList();
        var files = relativePaths.Select((path, i) => (path, blobs[i].Id)).ToList();
        var unpacked = new List<GitObject>(blobs);

        for (var attempt = 1; ; attempt++)
        {
            var branch = CurrentBranch();
            var parent = _repository.Refs[branch]?.ResolveToDirectReference()?.TargetIdentifier;
            var tree = _trees.Build(parent is null ? null : TreeOf(parent), files, unpacked);
            var commitBuffer = CommitObject(tree, parent, message, out var commitLength);
            var commit = new GitObject(GitObjectType.Commit, commitBuffer.AsMemory(0, commitLength));
            unpacked.Add(commit);
            // One pack for the batch, before git sees the files: update-index then finds every blob already stored
            // instead of writing each as a loose object.
            try
            {
                PackWriter.Write(_objectsDirectory, unpacked);
            }
            finally
            {
                _trees.ReleaseBuffers();
                ArrayPool<byte>.Shared.Return(commitBuffer);
            }
            unpacked.Clear();

            // Index first: if a person commits between the two steps, their commit includes our files
            // instead of recording them as deleted.
            if (attempt == 1) UpdateIndex(contents, blobs);
            BeforeBranchMove?.Invoke();
            // A person's git that took the index since (commit, reset, stash …) read the branch already: moving it now
            // would fail their compare-and-swap. Wait for it instead; our files are staged, their commit may take them.
            var indexLock = Path.Combine(_repository.Info.Path, "index.lock");
            if (File.Exists(indexLock)) throw new GitLockHeldException("a git process holds the index; the branch waits for it", indexLock);
            try
            {
                GitCli.Run(_paths.BasePath, ["update-ref", "-m", "elf: " + FirstLine(message), branch, commit.Hex, parent ?? ZeroId]);
                _lastCommit = (commit.Hex, tree);
                MergeSmallPacks();
                return commit.Hex;
            }
            catch (GitBranchMovedException) when (attempt < MaxRebuilds)
            {
                // Someone committed in between: their commit stays, ours is rebuilt on top of it.
            }
        }
    }

    /// <summary>
    /// Adds the batch's files to the index: in-process when only new paths are added to a plain index (see
    /// <see cref="IndexAppender"/>), otherwise by `git update-index`, which also hashes what filters convert.
    /// </summary>
    private void UpdateIndex(IReadOnlyList<StagedFile> files, IReadOnlyList<GitObject> blobs)
    {
        string? byGit = null;
        if (files.Any(f => f.Stat is null)) byGit = "no stat data";
        else if (GitConvertsContent(files)) byGit = "attributes or core.autocrlf may convert the files";
        else
        {
            _indexAppender.SplitThreshold = SplitIndexThreshold;
            _indexAppender.SplitIndexSetting = _repository.Config.Get<bool>("core.splitIndex")?.Value;
            _indexAppender.MaxPercentChange = _repository.Config.Get<int>("splitIndex.maxPercentChange")?.Value is >= 0 and <= 100 and var percent ? percent : 20;
            byGit = _indexAppender.TryAdd(files.Select((f, i) => new IndexAddition(f.Path, blobs[i].Id, f.Stat!.Value)).ToList());
        }
        if (byGit is null)
        {
            IndexUpdatesInProcess++;
            return;
        }
        LastIndexUpdateByGit = byGit;
        GitCli.RunWithPaths(_paths.BasePath, [.. SplitLargeIndex(), "update-index", "--add", "-z", "--stdin"], files.Select(f => f.Path));
    }

    /// <summary>Index updates made in-process; and why git made the last one it made.</summary>
    internal int IndexUpdatesInProcess { get; private set; }

    internal string? LastIndexUpdateByGit { get; private set; }

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

    /// <summary>The root tree of a commit: remembered for our own last commit, read for anyone else's.</summary>
    private string TreeOf(string commitId)
    {
        if (_lastCommit is { } last && last.Commit == commitId) return last.Tree;
        var commit = _repository.Lookup<Commit>(commitId) ?? throw new GitStoreException($"the branch points at {commitId}, which is not a commit here");
        return commit.Tree.Sha;
    }

    private IReadOnlyList<TreeItem> ReadTree(string treeId)
    {
        var tree = _repository.Lookup<Tree>(treeId) ?? throw new GitStoreException($"tree {treeId} is missing from the repository");
        return tree.Select(e => new TreeItem(Encoding.UTF8.GetBytes(e.Name), (int)e.Mode, e.Target.Id.RawId)).ToList();
    }

    /// <summary>
    /// A commit object as git writes one: tree, parent, author and committer lines, a blank line, the message. In a
    /// pooled buffer (returned once packed): a batch of 2,000 records has a message of half a megabyte, and as new
    /// strings and arrays per commit it made most of the full collections of a sustained load.
    /// </summary>
    private byte[] CommitObject(string tree, string? parent, string message, out int length)
    {
        var signature = Signature();
        var offset = signature.When.Offset;
        var zone = (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture);
        var person = $"{signature.Name} <{signature.Email}> {signature.When.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} {zone}";
        var text = new StringBuilder();
        text.Append("tree ").Append(tree).Append('\n');
        if (parent is not null) text.Append("parent ").Append(parent).Append('\n');
        text.Append("author ").Append(person).Append('\n');
        text.Append("committer ").Append(person).Append('\n');
        text.Append('\n');
        var header = text.ToString();
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(header.Length + message.Length));
        length = Encoding.UTF8.GetBytes(header, buffer);
        length += Encoding.UTF8.GetBytes(message, buffer.AsSpan(length));
        return buffer;
    }

    /// <summary>
    /// git rewrites the whole index to add one entry: at 100,000 tracked files that is 8.8 MB read, hashed and
    /// written per batch (≈170 ms here). A split index writes only the changed entries (≈20 ms); git keeps the
    /// split format once made. Only for a large index, and never against a person's own core.splitIndex setting.
    /// </summary>
    private string[] SplitLargeIndex()
    {
        var index = new FileInfo(Path.Combine(_repository.Info.Path, "index"));
        var large = index.Exists && index.Length > SplitIndexThreshold;
        return large && _repository.Config.Get<bool>("core.splitIndex") is null ? ["-c", "core.splitIndex=true"] : [];
    }

    /// <summary>
    /// Each batch adds a small pack; lookups slow down as packs pile up, so past a few dozen git merges the
    /// small ones (geometric repack: cost proportional to what is merged, never to the whole repository). It runs
    /// beside the commits, not in their way: a merge took the next commit's latency from tens of milliseconds
    /// to over a second. git's repack is safe alongside readers and new packs (it deletes only what it merged).
    /// </summary>
    private void MergeSmallPacks()
    {
        if (_packMerge is { IsCompleted: false }) return;
        var packFolder = Path.Combine(_objectsDirectory, "pack");
        if (!Directory.Exists(packFolder) || Directory.EnumerateFiles(packFolder, "*.pack").Take(MaxPacks + 1).Count() <= MaxPacks) return;
        var basePath = _paths.BasePath;
        _packMerge = Task.Run(() =>
        {
            try
            {
                // One thread, lowest priority: the merge gets the CPU the commits leave (on two cores, a two-thread
                // repack of a few thousand objects took 0.3–0.8 s of both and doubled the commits' latency meanwhile).
                GitCli.Run(basePath, ["-c", "pack.threads=1", "repack", "-d", "-q", "--geometric=2"], background: true);
            }
            catch (GitStoreException)
            {
                // Housekeeping only: the commits are made; a later batch tries again.
            }
        });
    }

    public IReadOnlyDictionary<long, string> FindRecordCommits(DateTimeOffset since)
    {
        var found = new Dictionary<long, string>();
        var tip = _repository.Refs[CurrentBranch()]?.ResolveToDirectReference()?.Target as Commit;
        if (tip is null) return found;
        var filter = new CommitFilter { IncludeReachableFrom = tip, SortBy = CommitSortStrategies.Time };
        foreach (var commit in _repository.Commits.QueryBy(filter))
        {
            if (commit.Committer.When < since) break;
            foreach (var id in CommitMessage.RecordIds(commit.Message)) found.TryAdd(id, commit.Sha);
        }
        return found;
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
            return $"holding commits: a git process (pid {pid.ToString(CultureInfo.InvariantCulture)}) runs in the repository; records wait in the outbox until it ends";
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
        var log = GitCli.Run(basePath, ["log", "--format=%x1e%H%x1f%B%x1f", "--diff-filter=D", "--name-only", "--no-renames", tip, "--", "memory/"]);
        var decided = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('\x1f');
            if (parts.Length < 3) continue;
            var byHost = CommitMessage.TrailerKeys(parts[1]).Any();
            foreach (var path in parts[2].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!wanted.Contains(path) || !decided.Add(path)) continue;
                if (!byHost) deleted[path] = parts[0].Trim();
            }
        }
        return deleted;
    }

    private string CurrentBranch() =>
        Branch ?? HeadBranch() ?? throw new GitStoreException("HEAD is detached (a rebase or bisect in progress?); records wait until a branch is checked out");

    private Signature Signature()
    {
        var now = DateTimeOffset.Now;
        return _repository.Config.BuildSignature(now) ?? new Signature("ElfActors", "elfactors@localhost", now);
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n');
        return newline < 0 ? message : message[..newline];
    }

    public void Dispose()
    {
        // A pack merge in progress is left to finish in the background if it takes long; git cleans up after it.
        _packMerge?.Wait(TimeSpan.FromSeconds(10));
        _repository.Dispose();
    }
}
