using System.Globalization;

namespace ElfActors.Core.Git;

/// <summary>
/// Finds a git process that someone else runs in the repository (a person, an editor, ELF's own scripts): the host
/// does not start a commit while one runs, so that the person's command never sees the index and the branch between
/// the host's two steps, nor has the branch moved under its compare-and-swap (docs/adr/0018). Linux /proc only;
/// elsewhere none is found. The host's own git children (and theirs: a background repack) are not counted.
/// </summary>
/// <param name="repositoryPath">The work tree: a git process whose working folder is in it counts.</param>
/// <param name="gitDirectory">
/// The repository's git folder, watched when <see cref="TrustUnchangedFor"/> is set; null for the work tree's .git.
/// </param>
public sealed class PersonGit(string repositoryPath, string? gitDirectory = null)
{
    private readonly string _repository = repositoryPath;
    private readonly Watched? _watched = Watched.For(repositoryPath, gitDirectory);
    private long _lastScan;
    private int? _lastFound;
    private ChangeStamp?[]? _baseline;

    /// <summary>
    /// How long a scan that found nothing is trusted. A scan reads /proc: about a millisecond on an idle machine, but
    /// 20–50 ms per batch were measured with ~160 processes on two cores loaded by parallel builds (docs/git-writer.md).
    /// </summary>
    public TimeSpan CacheFor { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// How long a scan that found nothing is trusted for as long as nothing a person's git writes has changed since:
    /// the git folder's entries (a lock, ORIG_HEAD, a rebase's folder), the index, HEAD, packed-refs, the refs folders
    /// and the branch HEAD names, by their stat data (docs/adr/0040). Zero (the default) trusts a scan for
    /// <see cref="CacheFor"/> only. The committer's own writes are adopted with <see cref="OwnWritesDone"/>.
    /// </summary>
    public TimeSpan TrustUnchangedFor { get; init; }

    /// <summary>Scans of /proc made so far (for tests and the stages benchmark).</summary>
    public int Scans { get; private set; }

    /// <summary>The pid of a git process with its working directory in the repository, or null.</summary>
    public int? Running()
    {
        var now = Environment.TickCount64;
        if (_lastFound is null)
        {
            var age = now - _lastScan;
            if (age < CacheFor.TotalMilliseconds) return null;
            if (age < TrustUnchangedFor.TotalMilliseconds && _watched is not null && _baseline is not null
                && _watched.Stamp() is { } unchanged && unchanged.AsSpan().SequenceEqual(_baseline)) return null;
        }
        // Stamped before the scan: a write during the scan shows as a change at the next call.
        _baseline = _watched?.Stamp();
        _lastScan = now;
        _lastFound = Scan();
        return _lastFound;
    }

    /// <summary>
    /// Throws <see cref="PersonGitRunningException"/> when a person's git runs in <paramref name="repositoryPath"/> now:
    /// an uncached scan, made by the writers right before they stage a batch (docs/adr/0037). The cached
    /// <see cref="Running"/> is read before the commit is built; a person's git that starts meanwhile (tens of
    /// milliseconds under load) would otherwise meet the host's staged files, or find the branch moved.
    /// </summary>
    public static void ThrowIfRunningNow(string repositoryPath)
    {
        if (FindNow(repositoryPath) is { } pid) throw new PersonGitRunningException(pid);
    }

    /// <summary>Every git process (not this process's own) working in <paramref name="repositoryPath"/> now: an uncached scan.</summary>
    public static IReadOnlyList<GitProcessId> AllRunningNow(string repositoryPath) =>
        GitProcesses.AllRunningIn([repositoryPath], GitProcesses.StartedByThisProcess);

    /// <summary>One uncached scan of /proc: a git process (not this process's own) working in the repository.</summary>
    private static int? FindNow(string repositoryPath) => GitProcesses.FirstRunningIn([repositoryPath], GitProcesses.StartedByThisProcess);

    /// <summary>What elf status says while a person's git runs in the repository.</summary>
    public static string HoldMessage(int pid) =>
        $"holding commits: a git process (pid {pid.ToString(CultureInfo.InvariantCulture)}) runs in the repository; records wait in the outbox until it ends";

    /// <summary>
    /// The caller's own writes to the repository (a commit: the index, the branch, their locks) are done: what they
    /// changed is not a person's. A lock file left in the git folder is never adopted: the next call scans.
    /// </summary>
    public void OwnWritesDone()
    {
        if (_lastFound is null && _baseline is not null && _watched is not null) _baseline = _watched.Stamp();
    }

    private int? Scan()
    {
        Scans++;
        return FindNow(_repository);
    }

    /// <summary>The paths whose stat data a person's git changes when it writes anything but objects.</summary>
    private sealed class Watched(string gitDirectory, string commonDirectory)
    {
        private readonly string _head = Path.Combine(gitDirectory, "HEAD");
        private readonly string[] _paths =
        [
            gitDirectory, Path.Combine(gitDirectory, "index"), Path.Combine(gitDirectory, "HEAD"),
            commonDirectory, Path.Combine(commonDirectory, "packed-refs"), Path.Combine(commonDirectory, "refs"),
            Path.Combine(commonDirectory, "refs", "heads"),
        ];

        private readonly string[] _locks =
        [
            Path.Combine(gitDirectory, "index.lock"), Path.Combine(gitDirectory, "HEAD.lock"), Path.Combine(commonDirectory, "packed-refs.lock"),
        ];

        private readonly string _commonDirectory = commonDirectory;

        public static Watched? For(string repositoryPath, string? gitDirectory)
        {
            var git = Path.TrimEndingDirectorySeparator(gitDirectory ?? Path.Combine(repositoryPath, ".git"));
            if (!Directory.Exists(git)) return null;
            return new Watched(git, GitFolders.Common(git));
        }

        /// <summary>The stamps, the branch's ref and its folder last; null when a lock is held or nothing could be stat'ed.</summary>
        public ChangeStamp?[]? Stamp()
        {
            foreach (var path in _locks)
                if (File.Exists(path)) return null;
            var branchRef = BranchRef();
            var stamps = new ChangeStamp?[_paths.Length + 2];
            for (var i = 0; i < _paths.Length; i++) stamps[i] = FileStat.StampOf(_paths[i]);
            if (stamps[0] is null) return null; // no statx here: nothing can be told apart
            if (branchRef is not null)
            {
                if (File.Exists(branchRef + ".lock")) return null;
                stamps[^2] = FileStat.StampOf(branchRef);
                stamps[^1] = FileStat.StampOf(Path.GetDirectoryName(branchRef)!);
            }
            return stamps;
        }

        private string? BranchRef()
        {
            try
            {
                var head = File.ReadAllText(_head);
                const string prefix = "ref: ";
                if (!head.StartsWith(prefix, StringComparison.Ordinal)) return null;
                var name = head[prefix.Length..].Trim();
                return name.StartsWith("refs/", StringComparison.Ordinal) && !name.Contains("..", StringComparison.Ordinal)
                    ? Path.Combine(_commonDirectory, name)
                    : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }
}
