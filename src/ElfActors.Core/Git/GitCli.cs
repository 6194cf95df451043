using System.Text.RegularExpressions;

namespace ElfActors.Core.Git;

/// <summary>What a git command returned: its exit code first (git's own verdict), its output only where it must be read.</summary>
public readonly record struct GitResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>stderr's last non-empty line, or the exit code: enough for a status line (`elf status`'s sync error).</summary>
    public string Reason => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
        ?? $"exit code {ExitCode}";
}

/// <summary>
/// The one runner of the git executable. Every run has <c>LC_ALL=C</c>, so that what little of git's text is parsed
/// (the lock and stale-ref messages below) is git's English whatever the person's locale; no prompt; and none of a
/// caller's GIT_DIR / GIT_INDEX_FILE / GIT_WORK_TREE. Callers read exit codes and porcelain / -z output.
/// </summary>
public static partial class GitCli
{
    public static string Executable { get; set; } = "git";

    // Only "File exists" means another git holds the lock; "Unable to create '….lock': No space left on device"
    // (a full disk) is a failure like any other, and must back the committer off, not make it wait for a holder.
    // Matched on git's C-locale text: every run forces LC_ALL=C.
    [GeneratedRegex(@"Unable to create '([^']+\.lock)': File exists|cannot lock ref '[^']+': Unable to create '([^']+\.lock)': File exists|Unable to create '([^']+)': File exists")]
    private static partial Regex LockMessage();

    [GeneratedRegex(@"cannot lock ref '([^']+)': (is at [0-9a-f]+ but expected|reference already exists|reference is missing)")]
    private static partial Regex StaleRefMessage();

    /// <param name="background">Housekeeping that must not slow the commits down: git runs at the lowest CPU priority.</param>
    /// <param name="environment">Variables to add (LC_ALL=C is applied after them), e.g. a temporary GIT_INDEX_FILE.</param>
    public static string Run(string workingDirectory, IReadOnlyList<string> arguments, string? standardInput = null, bool background = false,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Checked(arguments, Start(workingDirectory, arguments, standardInput is null ? null : input => input.Write(standardInput), background, environment));

    /// <summary>
    /// Runs git and hands its output to <paramref name="onRecord"/> record by record (split at <paramref name="separator"/>:
    /// '\n' for lines, '\0' for <c>-z</c> output) as it is read, never as one string; throws like <see cref="Run"/> on a
    /// non-zero exit (after the records read so far were handed over).
    /// </summary>
    public static void RunStreamed(string workingDirectory, IReadOnlyList<string> arguments, char separator, Action<string> onRecord)
    {
        ProgramResult result;
        try
        {
            result = ProgramRunner.RunStreamed(Executable, arguments, separator, onRecord, workingDirectory, GitEnvironment());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GitStoreException($"could not run '{Executable}': {e.Message} (ElfActors needs git on the PATH)", e);
        }
        Checked(arguments, new GitResult(result.ExitCode, result.Stdout, result.Stderr));
    }

    /// <summary>A ref's (or revision's) commit id, or null when it does not exist.</summary>
    public static string? Resolve(string workingDirectory, string reference) =>
        TryRun(workingDirectory, ["rev-parse", "--verify", "--quiet", reference + "^{commit}"]) is { Succeeded: true } tip ? tip.Stdout.Trim() : null;

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="descendant"/> or one of its ancestors (git's own merge-base verdict).</summary>
    public static bool IsAncestor(string workingDirectory, string ancestor, string descendant) =>
        TryRun(workingDirectory, ["merge-base", "--is-ancestor", ancestor, descendant]).ExitCode == 0;

    /// <summary>Runs git and returns its exit code and output, without throwing on a non-zero exit (the exit code is the answer).</summary>
    /// <param name="environment">Variables to add (LC_ALL=C is applied after them).</param>
    /// <param name="timeout">Kill git (and its children) after this long and answer exit code -1: for network commands.</param>
    public static GitResult TryRun(string workingDirectory, IReadOnlyList<string> arguments, string? standardInput = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        Start(workingDirectory, arguments, standardInput is null ? null : input => input.Write(standardInput), false, environment, timeout);

    /// <summary>Runs git with each of <paramref name="paths"/> on its stdin, NUL-terminated (for <c>-z --stdin</c>), written one by one:
    /// a batch's paths joined into one string would be a large object per commit.</summary>
    public static string RunWithPaths(string workingDirectory, IReadOnlyList<string> arguments, IEnumerable<string> paths,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Checked(arguments, Start(workingDirectory, arguments, input =>
        {
            foreach (var path in paths)
            {
                input.Write(path);
                input.Write('\0');
            }
        }, background: false, environment));

    private static string Checked(IReadOnlyList<string> arguments, GitResult result)
    {
        if (result.ExitCode == 0) return result.Stdout;
        var stderr = result.Stderr.Trim();
        var command = "git " + string.Join(' ', arguments.Where(a => !a.StartsWith("-c", StringComparison.Ordinal) && !a.Contains('=')).Take(2));
        var stale = StaleRefMessage().Match(stderr);
        if (stale.Success) throw new GitBranchMovedException(stale.Groups[1].Value, string.Empty);
        var locked = LockMessage().Match(stderr);
        if (locked.Success)
        {
            var path = new[] { locked.Groups[1], locked.Groups[2], locked.Groups[3] }.First(g => g.Success).Value;
            throw new GitLockHeldException($"{command}: {path} is held by another process", path);
        }
        throw new GitStoreException($"{command} failed ({result.ExitCode}): {stderr}");
    }

    /// <summary>git's fixed environment: no prompt, none of a caller's GIT_DIR / GIT_INDEX_FILE / GIT_WORK_TREE, and its
    /// messages in English whatever the locale (the few that are parsed are matched on that text), after the caller's.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> GitEnvironment(IReadOnlyDictionary<string, string>? variables = null)
    {
        yield return new("GIT_TERMINAL_PROMPT", "0");
        yield return new("GIT_DIR", null);
        yield return new("GIT_INDEX_FILE", null);
        yield return new("GIT_WORK_TREE", null);
        if (variables is not null)
            foreach (var (name, value) in variables) yield return new(name, value);
        yield return new("LC_ALL", "C");
        yield return new("LANGUAGE", string.Empty);
    }

    private static GitResult Start(string workingDirectory, IReadOnlyList<string> arguments, Action<TextWriter>? standardInput, bool background,
        IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout = null)
    {
        try
        {
            var (exit, stdout, stderr) = ProgramRunner.Run(Executable, arguments, workingDirectory, GitEnvironment(environment), standardInput, timeout, background);
            return new GitResult(exit, stdout, stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GitStoreException($"could not run '{Executable}': {e.Message} (ElfActors needs git on the PATH)", e);
        }
    }
}
