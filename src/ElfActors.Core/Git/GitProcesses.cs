using System.Globalization;

namespace ElfActors.Core.Git;

/// <summary>
/// The one /proc scan for git processes whose working folder is in a repository (Linux only; elsewhere none is found).
/// <see cref="StaleLocks"/> asks it whether a lock may have a live holder; <see cref="PersonGit"/> whether a person's git
/// runs, leaving out the host's own children.
/// </summary>
public static class GitProcesses
{
    /// <summary>
    /// The first git process (git, or one of its git-* helpers, by its command name) whose working folder is one of
    /// <paramref name="roots"/> or inside one, by the path given or its resolved real path, and that <paramref name="skip"/>
    /// does not rule out; null when there is none.
    /// </summary>
    public static int? FirstRunningIn(IReadOnlyList<string> roots, Func<int, bool>? skip = null)
    {
        foreach (var pid in RunningIn(roots, skip)) return pid;
        return null;
    }

    /// <summary>Every git process <see cref="FirstRunningIn"/> would find, each with its start time (to be told from a later process with its pid).</summary>
    public static IReadOnlyList<GitProcessId> AllRunningIn(IReadOnlyList<string> roots, Func<int, bool>? skip = null) =>
        RunningIn(roots, skip).Select(pid => new GitProcessId(pid, StartTimeOf(pid))).Where(p => p.StartTime >= 0).ToList();

    /// <summary>Whether this very process (its pid, started when it was) still runs.</summary>
    public static bool IsRunning(GitProcessId process) => process.Pid > 0 && StartTimeOf(process.Pid) == process.StartTime && !Ended(process.Pid);

    /// <summary>
    /// A process that exited and that its parent has not reaped yet (a zombie, state Z; or X, being reaped): /proc keeps its
    /// pid and start time until then, which is for ever for a daemonized `git gc --auto` where PID 1 does not reap (a
    /// container's). It runs nothing: a commit made beside it need not wait for it.
    /// </summary>
    private static bool Ended(int pid)
    {
        try
        {
            return StatFields(pid)[0] is "Z" or "X" or "x";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return true;
        }
    }

    /// <summary>A process's start time in clock ticks since boot (/proc/&lt;pid&gt;/stat field 22), or -1 when it is gone.</summary>
    private static long StartTimeOf(int pid)
    {
        try
        {
            return long.Parse(StatFields(pid)[19], CultureInfo.InvariantCulture); // field 22 counted from pid; these start at field 3
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Whether /proc/&lt;pid&gt;/comm names git or one of its git-* helpers. comm is one short read (what was executed,
    /// truncated to 15 bytes, and a newline), read into the stack: the scan runs twice a commit over every process on the
    /// machine, and a <see cref="File.ReadAllText(string)"/> each (its reader's buffers) was a twentieth of a busy host's
    /// garbage (docs/adr/0071).
    /// </summary>
    private static bool IsGitCommand(string processDirectory)
    {
        Span<byte> comm = stackalloc byte[64];
        int read;
        using (var handle = File.OpenHandle(Path.Combine(processDirectory, "comm")))
            read = RandomAccess.Read(handle, comm, 0);
        var name = comm[..read].TrimEnd((byte)'\n');
        return name.SequenceEqual("git"u8) || name.StartsWith("git-"u8);
    }

    private static IEnumerable<int> RunningIn(IReadOnlyList<string> roots, Func<int, bool>? skip)
    {
        if (roots.Count == 0 || !Directory.Exists("/proc")) yield break;
        var folders = roots.SelectMany(root => new[] { Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)), RealPath(root) })
            .Distinct(StringComparer.Ordinal).ToArray();
        var self = Environment.ProcessId;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (pid == self) continue;
            try
            {
                if (!IsGitCommand(directory)) continue;
                if (new DirectoryInfo(Path.Combine(directory, "cwd")).LinkTarget is not { } cwd) continue;
                if (!folders.Any(folder => cwd == folder || cwd.StartsWith(folder + "/", StringComparison.Ordinal))) continue;
                if (skip?.Invoke(pid) == true) continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile, or not ours to read
            }
            yield return pid;
        }
    }

    /// <summary>Whether this process started <paramref name="pid"/>: its parent or grandparent (a background repack's helpers) is this process.</summary>
    public static bool StartedByThisProcess(int pid)
    {
        var self = Environment.ProcessId;
        for (var level = 0; level < 3 && pid > 1; level++)
        {
            pid = ParentOf(pid);
            if (pid == self) return true;
        }
        return false;
    }

    /// <summary>A process's command line, its first three words, for messages; "?" when it cannot be read.</summary>
    public static string CommandOf(int pid)
    {
        try
        {
            var words = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            return words.Length == 0 ? "?" : string.Join(' ', words.Take(3).Select((w, i) => i == 0 ? Path.GetFileName(w) : w));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    private static int ParentOf(int pid)
    {
        return int.Parse(StatFields(pid)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// /proc/&lt;pid&gt;/stat's fields from the third on ("pid (comm) state ppid …": comm may hold spaces and parentheses,
    /// so they are read after the last ')'); [0] is the state, [1] the parent.
    /// </summary>
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
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

/// <summary>A process as /proc tells it apart: its pid and its start time (clock ticks since boot).</summary>
public readonly record struct GitProcessId(int Pid, long StartTime);
