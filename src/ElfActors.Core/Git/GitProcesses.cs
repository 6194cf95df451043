using System.Globalization;
using System.Runtime.InteropServices;

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

    private static IEnumerable<int> RunningIn(IReadOnlyList<string> roots, Func<int, bool>? skip)
    {
        if (roots.Count == 0 || !OperatingSystem.IsLinux() || !Directory.Exists("/proc")) yield break;
        var folders = roots.SelectMany(root => new[] { Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)), RealPath(root) })
            .Distinct(StringComparer.Ordinal).ToArray();
        foreach (var pid in GitCommands(Environment.ProcessId))
        {
            try
            {
                if (new DirectoryInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cwd").LinkTarget is not { } cwd) continue;
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

    /// <summary>
    /// Every process on the machine but <paramref name="self"/> whose /proc/&lt;pid&gt;/comm names git or one of its
    /// git-* helpers (what was executed, truncated to 15 bytes, and a newline), in /proc's order. The scan runs twice a
    /// commit over every process on the machine (hundreds on a busy one), so it is made of libc calls alone: /proc read
    /// with <c>readdir</c>, each comm with <c>openat</c> on the /proc descriptor, one <c>read</c> into the stack and
    /// <c>close</c> — three system calls and no allocation a process. Through .NET it was a string per directory entry
    /// and per path, and <c>File.OpenHandle</c>'s <c>fstat</c> and <c>flock</c> besides (docs/adr/0075).
    /// </summary>
    private static unsafe List<int> GitCommands(int self)
    {
        var found = new List<int>();
        nint directory;
        fixed (byte* procPath = "/proc\0"u8) directory = OpenDirectory(procPath);
        if (directory == 0) return found;
        try
        {
            var proc = DirectoryDescriptor(directory);
            var path = stackalloc byte[32]; // "<pid>/comm\0"
            var comm = stackalloc byte[64];
            for (var entry = ReadDirectory(directory); entry != null; entry = ReadDirectory(directory))
            {
                // struct dirent on 64-bit glibc and musl: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                if (entry[18] is not (DirectoryType or UnknownType)) continue;
                var name = entry + 19;
                var pid = 0;
                var digits = 0;
                for (; name[digits] != 0; digits++)
                {
                    if (digits == 10 || name[digits] is < (byte)'0' or > (byte)'9') { digits = -1; break; }
                    pid = pid * 10 + (name[digits] - '0');
                }
                if (digits <= 0 || pid == self) continue;
                Buffer.MemoryCopy(name, path, 32, digits);
                "/comm\0"u8.CopyTo(new Span<byte>(path + digits, 6));
                var descriptor = OpenAt(proc, path, OpenReadOnlyCloseOnExec);
                if (descriptor < 0) continue; // gone meanwhile, or not ours to read
                var read = Read(descriptor, comm, 64);
                _ = Close(descriptor);
                if (read <= 0) continue;
                var command = new ReadOnlySpan<byte>(comm, (int)read).TrimEnd((byte)'\n');
                if (command.SequenceEqual("git"u8) || command.StartsWith("git-"u8)) found.Add(pid);
            }
        }
        finally
        {
            _ = CloseDirectory(directory);
        }
        return found;
    }

    private const byte DirectoryType = 4, UnknownType = 0; // DT_DIR, DT_UNKNOWN (a file system that does not say)
    private const int OpenReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC (Linux)

    // Plain DllImports of blittable arguments (as MappedImageTrim's): called inline, no marshalling stub.
    [DllImport("libc", EntryPoint = "opendir")]
    private static extern unsafe nint OpenDirectory(byte* path);

    [DllImport("libc", EntryPoint = "readdir")]
    private static extern unsafe byte* ReadDirectory(nint directory);

    [DllImport("libc", EntryPoint = "dirfd")]
    private static extern int DirectoryDescriptor(nint directory);

    [DllImport("libc", EntryPoint = "closedir")]
    private static extern int CloseDirectory(nint directory);

    [DllImport("libc", EntryPoint = "openat")]
    private static extern unsafe int OpenAt(int directory, byte* path, int flags);

    [DllImport("libc", EntryPoint = "read")]
    private static extern unsafe nint Read(int descriptor, byte* buffer, nuint count);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int descriptor);

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
