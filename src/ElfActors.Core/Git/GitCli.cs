using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ElfActors.Core.Git;

/// <summary>
/// Runs the git executable for the two steps that must follow git's own locking protocol: updating the
/// index (git locks it before reading it) and moving the branch with a compare-and-swap.
/// </summary>
public static partial class GitCli
{
    public static string Executable { get; set; } = "git";

    // Only "File exists" means another git holds the lock; "Unable to create '….lock': No space left on device"
    // (a full disk) is a failure like any other, and must back the committer off, not make it wait for a holder.
    [GeneratedRegex(@"Unable to create '([^']+\.lock)': File exists|cannot lock ref '[^']+': Unable to create '([^']+\.lock)': File exists|Unable to create '([^']+)': File exists")]
    private static partial Regex LockMessage();

    [GeneratedRegex(@"cannot lock ref '([^']+)': (is at [0-9a-f]+ but expected|reference already exists|reference is missing)")]
    private static partial Regex StaleRefMessage();

    /// <param name="background">Housekeeping that must not slow the commits down: git runs at the lowest CPU priority.</param>
    public static string Run(string workingDirectory, IReadOnlyList<string> arguments, string? standardInput = null, bool background = false) =>
        Run(workingDirectory, arguments, standardInput is null ? null : input => input.Write(standardInput), background);

    /// <summary>Runs git with each of <paramref name="paths"/> on its stdin, NUL-terminated (for <c>-z --stdin</c>), written one by one:
    /// a batch's paths joined into one string would be a large object per commit.</summary>
    public static string RunWithPaths(string workingDirectory, IReadOnlyList<string> arguments, IEnumerable<string> paths) =>
        Run(workingDirectory, arguments, input =>
        {
            foreach (var path in paths)
            {
                input.Write(path);
                input.Write('\0');
            }
        }, background: false);

    private static string Run(string workingDirectory, IReadOnlyList<string> arguments, Action<TextWriter>? standardInput, bool background)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Never let git ask a person anything, nor pick up a caller's GIT_DIR / GIT_INDEX_FILE.
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment.Remove("GIT_DIR");
        start.Environment.Remove("GIT_INDEX_FILE");
        start.Environment.Remove("GIT_WORK_TREE");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new GitStoreException($"could not start {Executable}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GitStoreException($"could not run '{Executable}': {e.Message} (ElfActors needs git on the PATH)", e);
        }
        using (process)
        {
            if (background)
            {
                try { process.PriorityClass = ProcessPriorityClass.Idle; }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { } // exited already, or not allowed
            }
            var stderrTask = process.StandardError.ReadToEndAsync();
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            if (standardInput is not null)
            {
                standardInput(process.StandardInput);
                process.StandardInput.Close();
            }
            process.WaitForExit();
            var stderr = stderrTask.GetAwaiter().GetResult().Trim();
            var stdout = stdoutTask.GetAwaiter().GetResult();
            if (process.ExitCode == 0) return stdout;

            var command = "git " + string.Join(' ', arguments.Take(2));
            var stale = StaleRefMessage().Match(stderr);
            if (stale.Success) throw new GitBranchMovedException(stale.Groups[1].Value, string.Empty);
            var locked = LockMessage().Match(stderr);
            if (locked.Success)
            {
                var path = new[] { locked.Groups[1], locked.Groups[2], locked.Groups[3] }.First(g => g.Success).Value;
                throw new GitLockHeldException($"{command}: {path} is held by another process", path);
            }
            throw new GitStoreException($"{command} failed ({process.ExitCode}): {stderr}");
        }
    }
}
