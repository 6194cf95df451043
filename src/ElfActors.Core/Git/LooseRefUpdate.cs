using System.Globalization;
using System.Text;

namespace ElfActors.Core.Git;

/// <summary>
/// Moves a branch the way `git update-ref -m MESSAGE BRANCH NEW OLD` does in a repository whose refs are files, without
/// starting git (a process per batch: 3.7 ms on an idle machine, 10–40 ms under load; docs/adr/0058):
/// <list type="number">
/// <item><c>refs/heads/X.lock</c> created exclusively (another holder: <see cref="GitLockHeldException"/>, as git
/// would refuse);</item>
/// <item>the branch read under that lock, loose file first, then <c>packed-refs</c>, and compared with OLD
/// (another value: <see cref="GitBranchMovedException"/>, git's compare-and-swap);</item>
/// <item><c>HEAD.lock</c> taken when HEAD points at the branch (git locks HEAD to log the update in HEAD's reflog);</item>
/// <item>NEW written to the lock, the branch's reflog entry appended, the lock renamed over the branch, HEAD's reflog
/// entry appended, HEAD's lock removed.</item>
/// </list>
/// git fsyncs none of these by default (core.fsync leaves references out), and neither does this. Anything else is
/// left to git (<see cref="WhyGitMust"/>): reftable or any other ref storage extension, a linked worktree, a
/// <c>reference-transaction</c> hook, core.fsync or core.sharedRepository set, an unborn branch, a symbolic or
/// unreadable loose ref.
/// </summary>
internal sealed class LooseRefUpdate(string gitDirectory)
{
    private const string ZeroId = "0000000000000000000000000000000000000000";

    /// <summary>Why git must move the branch instead, or null when this may: read from the repository's own settings, every time.</summary>
    public static string? WhyGitMust(string gitDirectory, Func<string, string?> config, string branch, string? oldId)
    {
        if (oldId is null) return "an unborn branch";
        if (!branch.StartsWith("refs/heads/", StringComparison.Ordinal) || branch.Contains("..", StringComparison.Ordinal)) return "not a plain branch name";
        if (config("extensions.refstorage") is { } storage) return $"refs stored as {storage}";
        if (File.Exists(Path.Combine(gitDirectory, "commondir"))) return "a linked worktree";
        if (config("core.fsync") is not null || config("core.fsyncobjectfiles") is not null) return "core.fsync is set";
        if (config("core.sharedrepository") is not null) return "core.sharedRepository is set";
        var hooksPath = config("core.hookspath");
        if (hooksPath is not null && !Path.IsPathRooted(hooksPath)) return "core.hooksPath is relative";
        var hooks = hooksPath ?? Path.Combine(gitDirectory, "hooks");
        if (File.Exists(Path.Combine(hooks, "reference-transaction"))) return "a reference-transaction hook";
        return null;
    }

    /// <summary>
    /// Moves <paramref name="branch"/> from <paramref name="oldId"/> to <paramref name="newId"/> with a reflog entry
    /// for <paramref name="identity"/> ("Name &lt;email&gt; seconds ±hhmm"), or returns why git must (nothing changed).
    /// </summary>
    public string? TryMove(string branch, string newId, string oldId, string identity, string message, bool logAllRefUpdates)
    {
        var refPath = Path.Combine(gitDirectory, branch);
        var lockPath = refPath + ".lock";
        using var refLock = CreateLock(lockPath, "update-ref");
        var moved = false;
        try
        {
            var current = ReadLoose(refPath, out var unusual);
            if (unusual is not null) return unusual;
            current ??= ReadPacked(branch);
            if (!string.Equals(current, oldId, StringComparison.Ordinal)) throw new GitBranchMovedException(branch, oldId);

            var headPointsHere = ReadHead() == "ref: " + branch;
            using var headLock = headPointsHere ? CreateLock(Path.Combine(gitDirectory, "HEAD.lock"), "update-ref") : null;
            try
            {
                var line = ReflogLine(oldId, newId, identity, message);
                refLock.Stream.Write(Encoding.ASCII.GetBytes(newId + "\n"));
                refLock.Stream.Dispose();
                AppendReflog(Path.Combine(gitDirectory, "logs", branch), line, logAllRefUpdates);
                File.Move(lockPath, refPath, overwrite: true);
                moved = true;
                if (headPointsHere) AppendReflog(Path.Combine(gitDirectory, "logs", "HEAD"), line, logAllRefUpdates);
            }
            finally
            {
                headLock?.Release();
            }
            return null;
        }
        catch (IOException e)
        {
            throw new GitStoreException($"could not move {branch}: {e.Message}", e);
        }
        finally
        {
            if (!moved) refLock.Release();
        }
    }

    private static HeldLock CreateLock(string lockPath, string command)
    {
        try
        {
            return new HeldLock(lockPath, new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None));
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            throw new GitLockHeldException($"{command}: {lockPath} is held by another process", lockPath);
        }
    }

    /// <summary>A loose ref's id, null when there is no loose file; <paramref name="unusual"/> says why git must read it instead.</summary>
    private static string? ReadLoose(string refPath, out string? unusual)
    {
        unusual = null;
        string text;
        try
        {
            text = File.ReadAllText(refPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            unusual = "a loose ref it cannot read";
            return null;
        }
        var id = text.TrimEnd('\n');
        if (!IsObjectId(id)) unusual = "a symbolic or unusual loose ref";
        return id;
    }

    /// <summary>The branch's id in <c>packed-refs</c> ("id name" lines; '#' header and '^' peeled lines skipped), or null.</summary>
    private string? ReadPacked(string branch)
    {
        var path = Path.Combine(gitDirectory, "packed-refs");
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length < 42 || line[0] is '#' or '^' || line[40] != ' ') continue;
            if (string.Equals(line.AsSpan(41).ToString(), branch, StringComparison.Ordinal)) return line[..40];
        }
        return null;
    }

    private string? ReadHead()
    {
        try { return File.ReadAllText(Path.Combine(gitDirectory, "HEAD")).TrimEnd('\n'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>git's reflog line: "old new identity\tmessage\n", the message's whitespace collapsed as git's copy_reflog_msg does.</summary>
    internal static string ReflogLine(string oldId, string newId, string identity, string message)
    {
        var collapsed = string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return collapsed.Length == 0 ? $"{oldId} {newId} {identity}\n" : $"{oldId} {newId} {identity}\t{collapsed}\n";
    }

    /// <summary>git's identity for a reflog: "Name &lt;email&gt; unix-seconds ±hhmm".</summary>
    internal static string Identity(string name, string email, DateTimeOffset when)
    {
        var offset = when.Offset;
        var zone = (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture);
        return $"{name} <{email}> {when.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} {zone}";
    }

    /// <summary>Appended when the log exists or core.logAllRefUpdates asks for it (git's rule for branches and HEAD).</summary>
    private static void AppendReflog(string logPath, string line, bool logAllRefUpdates)
    {
        if (!logAllRefUpdates && !File.Exists(logPath)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        using var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        log.Write(Encoding.UTF8.GetBytes(line));
    }

    private static bool IsObjectId(string id) => id.Length == 40 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>A lock file this process created: removed unless renamed into place.</summary>
    private sealed class HeldLock(string path, FileStream stream) : IDisposable
    {
        public FileStream Stream { get; } = stream;

        public void Release()
        {
            Stream.Dispose();
            try { File.Delete(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }

        public void Dispose() => Stream.Dispose();
    }
}
