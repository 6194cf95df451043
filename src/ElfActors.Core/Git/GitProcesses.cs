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
        if (roots.Count == 0 || !Directory.Exists("/proc")) return null;
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
                // comm is one short read, and names what was executed (git, git-remote-http, …), truncated to 15 bytes.
                var comm = File.ReadAllText(Path.Combine(directory, "comm")).TrimEnd('\n');
                if (comm != "git" && !comm.StartsWith("git-", StringComparison.Ordinal)) continue;
                if (new DirectoryInfo(Path.Combine(directory, "cwd")).LinkTarget is not { } cwd) continue;
                if (!folders.Any(folder => cwd == folder || cwd.StartsWith(folder + "/", StringComparison.Ordinal))) continue;
                if (skip?.Invoke(pid) == true) continue;
                return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or not ours to read
            }
        }
        return null;
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
