using System.Globalization;

namespace ElfActors.Core.Git;

/// <summary>
/// Finds a git process that someone else runs in the repository (a person, an editor, ELF's own scripts): the host
/// does not start a commit while one runs, so that the person's command never sees the index and the branch between
/// the host's two steps, nor has the branch moved under its compare-and-swap (docs/adr/0018). Linux /proc only;
/// elsewhere none is found. The host's own git children (and theirs: a background repack) are not counted.
/// </summary>
public sealed class PersonGit(string repositoryPath)
{
    private readonly string _repository = repositoryPath;
    private long _lastScan;
    private int? _lastFound;

    /// <summary>
    /// How long a scan that found nothing is trusted. A scan reads /proc: about a millisecond on an idle machine, but
    /// 20–50 ms per batch were measured with ~160 processes on two cores loaded by parallel builds (docs/git-writer.md).
    /// </summary>
    public TimeSpan CacheFor { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>The pid of a git process with its working directory in the repository, or null.</summary>
    public int? Running()
    {
        var now = Environment.TickCount64;
        if (_lastFound is null && now - _lastScan < CacheFor.TotalMilliseconds) return null;
        _lastScan = now;
        _lastFound = Scan();
        return _lastFound;
    }

    /// <summary>
    /// Throws <see cref="PersonGitRunningException"/> when a person's git runs in <paramref name="repositoryPath"/> now:
    /// an uncached scan, made by the writers right before they move the branch. The cached <see cref="Running"/> is
    /// read before the commit is built; a person's git that starts meanwhile (tens of milliseconds under load) would
    /// otherwise find the branch moved between its read and its update.
    /// </summary>
    public static void ThrowIfRunningNow(string repositoryPath)
    {
        if (GitProcesses.FirstRunningIn([repositoryPath], GitProcesses.StartedByThisProcess) is { } pid) throw new PersonGitRunningException(pid);
    }

    /// <summary>What elf status says while a person's git runs in the repository.</summary>
    public static string HoldMessage(int pid) =>
        $"holding commits: a git process (pid {pid.ToString(CultureInfo.InvariantCulture)}) runs in the repository; records wait in the outbox until it ends";

    private int? Scan() => GitProcesses.FirstRunningIn([_repository], GitProcesses.StartedByThisProcess);
}
