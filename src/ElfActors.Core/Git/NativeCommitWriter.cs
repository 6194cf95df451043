using System.Buffers;
using System.Globalization;
using System.Text;
using LibGit2Sharp;

namespace ElfActors.Core.Git;

/// <summary>
/// The fast writer: blobs, trees and the commit are built in-process from the parent's tree and written as one pack
/// per batch (cost does not grow with the size of the repository or the index: see <see cref="TreeBuilder"/>); the
/// index is updated for our paths only, under git's index.lock (new paths in-process by <see cref="IndexAppender"/>,
/// anything else by `git update-index`: docs/adr/0012), and the branch is moved by git's compare-and-swap
/// (docs/adr/0002). SHA-1 repositories only, and only where git would store the bytes as they are (no filters, no
/// line-ending conversion): <see cref="GitStore"/> hands anything else to <see cref="GitPlumbingWriter"/> (docs/git-writer.md).
/// </summary>
internal sealed class NativeCommitWriter : IRecordCommitWriter
{
    private const int MaxRebuilds = 5;
    private const int MaxPacks = 50;
    private const string ZeroId = "0000000000000000000000000000000000000000";
    private readonly Repository _repository;
    private readonly string _workTree;
    private readonly string _objectsDirectory;
    private readonly TreeBuilder _trees;
    private readonly IndexAppender _indexAppender;
    private readonly LooseRefUpdate _looseRefs;
    private (string Commit, string Tree, string? Parent)? _lastCommit;
    private Task? _packMerge;
    private readonly PackThread _packThread = new();

    public NativeCommitWriter(Repository repository, string workTree, string objectsDirectory)
    {
        _repository = repository;
        _workTree = workTree;
        _objectsDirectory = objectsDirectory;
        _trees = new TreeBuilder(ReadTree);
        _indexAppender = new IndexAppender(_repository.Info.Path, workTree);
        _looseRefs = new LooseRefUpdate(_repository.Info.Path);
        // Split a large index now, at start, rather than in the first batch's commit (8.8 MB rewritten at
        // 100,000 files: seconds on a busy machine, paid by every record of that batch).
        if (SplitLargeIndex().Length > 0)
        {
            try { GitCli.Run(workTree, ["-c", "core.splitIndex=true", "update-index", "--split-index"]); }
            catch (GitStoreException) { } // a lock held by a person's git: the first commit splits it instead
        }
    }

    public string Name => "fast";

    /// <summary>Index size (bytes) above which git is asked to split the index: about 45,000 entries.</summary>
    internal long SplitIndexThreshold { get; set; } = 4L << 20;

    /// <summary>Trees read back from the repository rather than remembered from the last commit.</summary>
    internal int TreesRead => _trees.TreesRead;

    /// <summary>Runs after the commit is built and before the branch moves: tests commit "as a person" here.</summary>
    internal Action? BeforeBranchMove { get; set; }

    /// <summary>Runs on the pack thread before the batch's pack is written: tests see what the committer's thread does meanwhile.</summary>
    internal Action? BeforePackWritten { get; set; }

    /// <summary>The last batch's pack: its wall time on the pack thread (the stage <c>pack</c> is what the commit waited for it).</summary>
    internal double LastPackWriteMs { get; private set; }

    /// <summary>The last batch's pack: the pack thread's CPU for it (the committer thread's <c>cpu</c> stage no longer holds it).</summary>
    internal double LastPackCpuMs { get; private set; }

    /// <summary>The last commit's stages (blobs, trees, pack, index, person's git, index-write, branch, housekeeping).</summary>
    internal StageTimes Stages { get; } = new();

    public string Commit(string branch, IReadOnlyList<StagedFile> contents, string message) => Commit(branch, contents, message.AsMemory());

    public string Commit(string branch, IReadOnlyList<StagedFile> contents, ReadOnlyMemory<char> message)
    {
        Stages.Restart();
        var relativePaths = contents.Select(f => f.Path).ToList();
        var blobs = contents.Select(f => new GitObject(GitObjectType.Blob, f.Content)).ToList();
        var files = relativePaths.Select((path, i) => (path, blobs[i].Id)).ToList();
        var unpacked = new List<GitObject>(blobs);
        Stages.Lap("blobs");

        for (var attempt = 1; ; attempt++)
        {
            var parent = _repository.Refs[branch]?.ResolveToDirectReference()?.TargetIdentifier;
            var tree = _trees.Build(parent is null ? null : TreeOf(parent), files, unpacked);
            var commitBuffer = CommitObject(tree, parent, message.Span, out var commitLength);
            var commit = new GitObject(GitObjectType.Commit, commitBuffer.AsMemory(0, commitLength));
            unpacked.Add(commit);
            Stages.Lap("trees");
            // One pack for the batch, before git sees the files: update-index then finds every blob already stored
            // instead of writing each as a loose object. Kept (a .keep file) until the branch points at it. Written on
            // the pack thread while this one builds git's new index (docs/adr/0072): the two need nothing of each other
            // until the index is written, and the pack is complete (fsynced, in place) before that, as it was before
            // the overlap; a person's git that stages or commits after our index is written finds every blob stored.
            var packing = StartPack(unpacked.ToArray());
            string? keep = null;
            var packed = false;
            void Packed()
            {
                if (packed) return;
                packed = true;
                keep = WaitForPack(packing);
                Stages.Lap("pack"); // what the commit waited for its pack beyond the index build: the part not overlapped
            }
            try
            {
                // Index first: if a person commits between the two steps, their commit includes our files
                // instead of recording them as deleted.
                if (attempt == 1) UpdateIndex(contents, blobs, Packed);
                Packed();
                BeforeBranchMove?.Invoke();
                // A person's git that took the index since (commit, reset, stash …) read the branch already: moving it now
                // would fail their compare-and-swap. Wait for it instead; our files are staged, their commit may take them.
                var indexLock = Path.Combine(_repository.Info.Path, "index.lock");
                if (File.Exists(indexLock)) throw new GitLockHeldException("a git process holds the index; the branch waits for it", indexLock);
                MoveBranch(branch, commit.Hex, parent, "elf: " + FirstLine(message.Span));
                _lastCommit = (commit.Hex, tree, parent);
                Stages.Lap("branch");
            }
            catch (GitBranchMovedException) when (attempt < MaxRebuilds)
            {
                // Someone committed in between: their commit stays, ours is rebuilt on top of it.
                continue;
            }
            finally
            {
                // A step that failed before the pack was waited for (a person's git, a held lock): the pack is let finish
                // before its objects' buffers go back to their pools and its keep file goes.
                if (!packed)
                {
                    try { keep = packing.GetAwaiter().GetResult(); }
                    catch (Exception) { keep = null; } // the step's own failure is the one reported; the pack left nothing kept
                }
                _trees.ReleaseBuffers();
                ArrayPool<byte>.Shared.Return(commitBuffer);
                unpacked.Clear();
                PackWriter.ReleaseKeep(keep);
            }
            MergeSmallPacks();
            Stages.Lap("pack-merge");
            return commit.Hex;
        }
    }

    /// <summary>Writes the batch's pack on the pack thread (<see cref="PackThread"/>); the task's result is its keep file.</summary>
    private Task<string?> StartPack(GitObject[] objects)
    {
        var beforeWritten = BeforePackWritten;
        return _packThread.Start(() =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var cpuAtStart = ElfActors.Contracts.Posix.ThreadCpuMilliseconds();
            try
            {
                beforeWritten?.Invoke();
                return PackWriter.Write(_objectsDirectory, objects);
            }
            finally
            {
                LastPackWriteMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                LastPackCpuMs = ElfActors.Contracts.Posix.ThreadCpuMilliseconds() - cpuAtStart;
            }
        });
    }

    /// <summary>The pack's keep file once the pack is in place; its failure as the commit's (a file error named as the pack's).</summary>
    private static string? WaitForPack(Task<string?> packing)
    {
        try
        {
            return packing.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not wrapped, it would be taken for the index update's (whose own file errors it names as such).
            throw new GitStoreException($"could not write the batch's pack: {e.Message}", e);
        }
    }

    // The batch's additions, one list kept for every batch (docs/adr/0076): some 56 bytes a record, a large object from ~1,500.
    private readonly List<IndexAddition> _indexAdditions = [];

    /// <summary>
    /// Adds the batch's files to the index: in-process when only new paths are added to a plain index (see
    /// <see cref="IndexAppender"/>, which builds the new index before it takes <c>index.lock</c>), otherwise by
    /// `git update-index`. Stages: <c>index</c> (reading and building it, no lock held), <c>person-git</c>, then
    /// <c>index-write</c>: the time elf holds <c>index.lock</c> (docs/adr/0060).
    /// </summary>
    private void UpdateIndex(IReadOnlyList<StagedFile> files, IReadOnlyList<GitObject> blobs, Action packed)
    {
        string? byGit;
        if (files.Any(f => f.Stat is null)) byGit = "no stat data";
        else
        {
            _indexAppender.SplitThreshold = SplitIndexThreshold;
            _indexAppender.SplitIndexSetting = _repository.Config.Get<bool>("core.splitIndex")?.Value;
            _indexAppender.MaxPercentChange = _repository.Config.Get<int>("splitIndex.maxPercentChange")?.Value is >= 0 and <= 100 and var percent ? percent : 20;
            _indexAdditions.Clear();
            for (var i = 0; i < files.Count; i++) _indexAdditions.Add(new IndexAddition(files[i].Path, blobs[i].Id, files[i].Stat!.Value));
            try
            {
                byGit = _indexAppender.TryAdd(_indexAdditions, () => BeforeIndexLock(packed));
            }
            finally
            {
                _indexAdditions.Clear(); // holds the batch's blob ids and paths otherwise
            }
        }
        if (byGit is null)
        {
            IndexUpdatesInProcess++;
            Stages.Lap("index-write");
            return;
        }
        LastIndexUpdateByGit = byGit;
        BeforeIndexLock(packed);
        GitCli.RunWithPaths(_workTree, [.. SplitLargeIndex(), "update-index", "--add", "-z", "--stdin"], files.Select(f => f.Path));
        Stages.Lap("index-write");
    }

    /// <summary>
    /// Right before the index lock is taken: the batch's pack complete (the index names its blobs), and not while a
    /// person's git runs (an uncached scan, docs/adr/0037): files staged and then held would make their rebase or pull
    /// refuse a dirty index. Looked for after the new index is built and the pack waited for, so that a git started
    /// during either is seen.
    /// </summary>
    private void BeforeIndexLock(Action packed)
    {
        Stages.Lap("index");
        packed();
        PersonGit.ThrowIfRunningNow(_workTree);
        Stages.Lap("person-git");
    }

    /// <summary>Times the in-process index update found the index changed by another git between its read and its lock.</summary>
    internal int IndexChangedBeforeLock => _indexAppender.ChangedBeforeLock;

    /// <summary>Runs after the in-process index update has built the new index and before it takes the lock (tests).</summary>
    internal Action? AfterIndexBuilt
    {
        get => _indexAppender.AfterBuild;
        set => _indexAppender.AfterBuild = value;
    }

    /// <summary>
    /// Moves the branch from <paramref name="parent"/> to <paramref name="commit"/> with git's compare-and-swap and a reflog
    /// entry: in-process where the refs are plain files (<see cref="LooseRefUpdate"/>), otherwise by `git update-ref`.
    /// </summary>
    private void MoveBranch(string branch, string commit, string? parent, string reflogMessage)
    {
        var gitDirectory = _repository.Info.Path;
        var byGit = LooseRefUpdate.WhyGitMust(gitDirectory, key => _repository.Config.Get<string>(key)?.Value, branch, parent);
        if (byGit is null)
        {
            var signature = Signature();
            var identity = LooseRefUpdate.Identity(signature.Name, signature.Email, signature.When);
            byGit = _looseRefs.TryMove(branch, commit, parent!, identity, reflogMessage, LogAllRefUpdates());
            if (byGit is null)
            {
                BranchMovesInProcess++;
                return;
            }
        }
        LastBranchMoveByGit = byGit;
        GitCli.Run(_workTree, ["update-ref", "-m", reflogMessage, branch, commit, parent ?? ZeroId]);
    }

    /// <summary>core.logAllRefUpdates as git reads it for a repository with a work tree: unset means true.</summary>
    private bool LogAllRefUpdates() =>
        _repository.Config.Get<string>("core.logAllRefUpdates")?.Value is not { } value
        || value.Equals("always", StringComparison.OrdinalIgnoreCase)
        || !(value.Equals("false", StringComparison.OrdinalIgnoreCase) || value.Equals("no", StringComparison.OrdinalIgnoreCase)
             || value.Equals("off", StringComparison.OrdinalIgnoreCase) || value == "0");

    /// <summary>Branch moves made in-process; and why git made the last one it made.</summary>
    internal int BranchMovesInProcess { get; private set; }

    internal string? LastBranchMoveByGit { get; private set; }

    /// <summary>Index updates made in-process; and why git made the last one it made.</summary>
    internal int IndexUpdatesInProcess { get; private set; }

    internal string? LastIndexUpdateByGit { get; private set; }

    /// <summary>Files read back and hashed by the racy-git rule of the in-process index updates.</summary>
    internal long IndexContentChecks => _indexAppender.ContentChecks;

    /// <summary>Whether this writer's last commit is <paramref name="commit"/>, made on <paramref name="parent"/>: no need to ask git.</summary>
    internal bool MadeLastOn(string commit, string parent) => _lastCommit is { } last && last.Commit == commit && last.Parent == parent;

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
    private byte[] CommitObject(string tree, string? parent, ReadOnlySpan<char> message, out int length)
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
    /// small ones (geometric repack: cost proportional to what is merged, never to the whole repository; see
    /// <see cref="PackMerge"/> for git before 2.32). It runs
    /// beside the commits, not in their way: a merge took the next commit's latency from tens of milliseconds
    /// to over a second. git's repack is safe alongside readers and new packs (it deletes only what it merged).
    /// </summary>
    private void MergeSmallPacks()
    {
        if (_packMerge is { IsCompleted: false }) return;
        var packFolder = Path.Combine(_objectsDirectory, "pack");
        if (!Directory.Exists(packFolder) || Directory.EnumerateFiles(packFolder, "*.pack").Take(MaxPacks + 1).Count() <= MaxPacks) return;
        var basePath = _workTree;
        _packMerge = Task.Run(() =>
        {
            try
            {
                // One thread, lowest priority: the merge gets the CPU the commits leave (on two cores, a two-thread
                // repack of a few thousand objects took 0.3–0.8 s of both and doubled the commits' latency meanwhile).
                // Geometric (git 2.32+), or its equivalent on an older git (PackMerge).
                GitCli.Run(basePath, PackMerge.Arguments(GitCli.Version, packFolder), background: true);
            }
            catch (GitStoreException)
            {
                // Housekeeping only: the commits are made; a later batch tries again.
            }
        });
    }

    private Signature Signature()
    {
        var now = DateTimeOffset.Now;
        return _repository.Config.BuildSignature(now) ?? new Signature("ElfActors", "elfactors@localhost", now);
    }

    internal static string FirstLine(string message) => FirstLine(message.AsSpan());

    internal static string FirstLine(ReadOnlySpan<char> message)
    {
        var newline = message.IndexOf('\n');
        return (newline < 0 ? message : message[..newline]).ToString();
    }

    public void Dispose()
    {
        // A pack merge in progress is left to finish in the background if it takes long; git cleans up after it.
        _packMerge?.Wait(TimeSpan.FromSeconds(10));
        _packThread.Dispose();
    }
}
