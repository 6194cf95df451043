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
    private static readonly int Self = Environment.ProcessId;
    private readonly string _repository = Path.TrimEndingDirectorySeparator(Path.GetFullPath(repositoryPath));
    private readonly string _real = RealPath(repositoryPath);
    private long _lastScan;
    private int? _lastFound;

    /// <summary>How long a scan that found nothing is trusted (a scan reads /proc: about a millisecond).</summary>
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

    private int? Scan()
    {
        if (!Directory.Exists("/proc")) return null;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var comm = File.ReadAllText(Path.Combine(directory, "comm")).TrimEnd('\n');
                if (comm != "git" && !comm.StartsWith("git-", StringComparison.Ordinal)) continue;
                if (IsOurs(pid)) continue;
                var cwd = new FileInfo(Path.Combine(directory, "cwd")).LinkTarget;
                if (cwd is not null && (Inside(cwd, _repository) || Inside(cwd, _real))) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or not ours to read
            }
        }
        return null;
    }

    private static bool Inside(string path, string folder) =>
        path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);

    /// <summary>Whether the host started it: its parent or grandparent is this process.</summary>
    private static bool IsOurs(int pid)
    {
        for (var level = 0; level < 3 && pid > 1; level++)
        {
            pid = ParentOf(pid);
            if (pid == Self) return true;
        }
        return false;
    }

    private static int ParentOf(int pid)
    {
        // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses: read after the last ')'.
        var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    private static string RealPath(string path)
    {
        try
        {
            return Path.TrimEndingDirectorySeparator(new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path));
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }
}
