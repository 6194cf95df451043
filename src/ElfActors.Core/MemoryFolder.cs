namespace ElfActors.Core;

/// <summary>
/// The memory's base folder as the host opened it: its device and inode (the memory's identity, as the runtime folder's
/// key takes it, docs/adr/0015). A person's <c>rm -rf</c> of the memory, a <c>mv</c> of it elsewhere, or a new memory made
/// at the same path (a new folder, a fresh clone) leaves the host with open descriptors into a memory that is no longer
/// at its path: it must not make the deleted memory's files again there, nor write into the other memory
/// (docs/adr/0074). <see cref="Check"/> is one stat, taken only where the host has already found a file of the memory
/// missing or replaced (the index writer before it would put the index back, the committer waiting for it, the shutdown
/// drain): no timer of its own. Once gone it stays gone, and <see cref="WhenGone"/> completes with the reason.
/// </summary>
public sealed class MemoryFolder
{
    private readonly object _gate = new();
    private readonly TaskCompletionSource<string> _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private (ulong Device, ulong Inode)? _opened;
    private bool _hadRepository;
    private string? _goneReason;

    public MemoryFolder(MemoryPaths paths)
    {
        Paths = paths;
        _opened = Identity();
        _hadRepository = HasRepository();
    }

    public MemoryPaths Paths { get; }

    /// <summary>The memory is prepared (its repository made if it had none): from now on a repository gone is a memory being deleted.</summary>
    public void Prepared()
    {
        lock (_gate)
        {
            _opened ??= Identity();
            _hadRepository |= HasRepository();
        }
    }

    /// <summary>Completes, once, with why the memory is no longer at its path (the first <see cref="Check"/> that found it).</summary>
    public Task<string> WhenGone => _gone.Task;

    /// <summary>Why the memory is no longer at its path, once a <see cref="Check"/> found it; null until then (no stat).</summary>
    public string? GoneReason => Volatile.Read(ref _goneReason);

    /// <summary>
    /// Two stats, of the base folder and its <c>.git</c>: null while it is the folder the host opened (or, off Linux, while a
    /// folder is there) and its repository is there; else why not, kept for good. A repository that was there and is gone
    /// while the folder stays is a memory being deleted (an <c>rm -rf</c> still at work, which removes the folder last):
    /// putting its index back then made <c>rm</c> fail ("Directory not empty") and left a memory half made again.
    /// </summary>
    public string? Check()
    {
        if (GoneReason is { } gone) return gone;
        var now = Identity();
        string? reason;
        lock (_gate)
        {
            if (_goneReason is not null) return _goneReason;
            if (now is null)
                reason = Directory.Exists(Paths.BasePath) ? null : $"the memory folder {Paths.BasePath} was deleted or moved away while the host ran";
            else if (_opened is null)
            {
                _opened = now; // the folder did not exist yet when this was made: it is the host's from its first look
                reason = null;
            }
            else reason = now == _opened ? null
                : $"the memory folder {Paths.BasePath} was replaced by another folder while the host ran (another memory, or a new one, is at that path now)";
            if (reason is null)
            {
                if (HasRepository()) _hadRepository = true;
                else if (_hadRepository) reason = $"the memory folder {Paths.BasePath} lost its git repository (.git/HEAD) while the host ran: the memory is being deleted";
            }
            if (reason is null) return null;
            Volatile.Write(ref _goneReason, reason);
        }
        _gone.TrySetResult(reason);
        return reason;
    }

    private bool HasRepository()
    {
        // HEAD rather than the folder: rm -rf empties .git (HEAD among the first) long before it can remove the folder.
        var git = Path.Combine(Paths.BasePath, ".git");
        return File.Exists(git) || File.Exists(Path.Combine(git, "HEAD")); // a linked worktree's .git is a file
    }

    private (ulong Device, ulong Inode)? Identity()
    {
        try
        {
            return Posix.Status(Paths.BasePath, followLinks: true) is { IsDirectory: true } status ? (status.Device, status.Inode) : null;
        }
        catch (IOException)
        {
            return null; // EACCES and the like: not taken for gone (Directory.Exists decides)
        }
    }
}

/// <summary>The memory's folder was deleted, moved away or replaced under the host (<see cref="MemoryFolder"/>): nothing is written there.</summary>
public sealed class MemoryFolderGoneException(string reason) : IOException(reason);
