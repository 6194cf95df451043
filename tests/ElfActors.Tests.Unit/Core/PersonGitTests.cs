using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// The committer's check for a person's git (docs/adr/0040): a /proc scan that found nothing is trusted while nothing a
/// person's git writes has changed, and a person's real git (not a child of this process) is found once it writes.
/// </summary>
public sealed class PersonGitTests : IDisposable
{
    private readonly TempMemory _memory = new();
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "elf-person-" + Guid.NewGuid().ToString("N")[..8]);

    public PersonGitTests()
    {
        Directory.CreateDirectory(_scratch);
        Tools.Git(_memory.BasePath, "init", "-q");
        File.WriteAllText(Path.Combine(_memory.BasePath, "notes.txt"), "v1\n");
        Tools.Git(_memory.BasePath, "add", "notes.txt");
        Tools.GitCommitAsPerson(_memory.BasePath, "person: notes");
    }

    private PersonGit Watching() => new(_memory.BasePath, Path.Combine(_memory.BasePath, ".git"))
    {
        CacheFor = TimeSpan.Zero, TrustUnchangedFor = TimeSpan.FromHours(1),
    };

    [Fact]
    public void A_scan_is_trusted_until_the_git_folder_changes_and_the_callers_own_writes_are_adopted()
    {
        var person = Watching();
        Assert.Null(person.Running());
        Assert.Null(person.Running());
        Assert.Null(person.Running());
        Assert.Equal(1, person.Scans);

        // A commit someone made (here a child of this process, which the scan leaves out): the index, the branch, the
        // git folder changed, so the next call scans again, and then trusts that scan.
        File.WriteAllText(Path.Combine(_memory.BasePath, "notes.txt"), "v2\n");
        Tools.Git(_memory.BasePath, "add", "notes.txt");
        Tools.GitCommitAsPerson(_memory.BasePath, "someone: v2");
        Assert.Null(person.Running());
        Assert.Equal(2, person.Scans);
        Assert.Null(person.Running());
        Assert.Equal(2, person.Scans);

        // The caller's own commit, adopted: no scan.
        File.WriteAllText(Path.Combine(_memory.BasePath, "notes.txt"), "v3\n");
        Tools.Git(_memory.BasePath, "-c", "user.name=H", "-c", "user.email=h@x", "commit", "-qam", "host: v3");
        person.OwnWritesDone();
        Assert.Null(person.Running());
        Assert.Equal(2, person.Scans);

        // A branch moved by itself (update-ref writes refs/heads/<branch> and its reflog only).
        Tools.Git(_memory.BasePath, "update-ref", "HEAD", "HEAD~1");
        Assert.Null(person.Running());
        Assert.Equal(3, person.Scans);

        // A lock in the git folder is never trusted, nor adopted.
        var indexLock = Path.Combine(_memory.BasePath, ".git", "index.lock");
        File.WriteAllText(indexLock, "");
        person.OwnWritesDone();
        Assert.Null(person.Running());
        Assert.Null(person.Running());
        Assert.Equal(5, person.Scans);
        File.Delete(indexLock);
        Assert.Null(person.Running());
        Assert.Null(person.Running());
        Assert.Equal(6, person.Scans);
    }

    [Fact]
    public async Task A_persons_git_that_writes_is_found_by_the_next_call_and_its_end_by_the_one_after()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc
        var person = Watching();
        Assert.Null(person.Running());
        Assert.Equal(1, person.Scans);

        // A person's `git commit -a` that sits in its editor, started detached (setsid -f) so that it is nobody's child
        // here: the scan leaves out this process's own children.
        File.WriteAllText(Path.Combine(_memory.BasePath, "notes.txt"), "v2\n");
        var release = Path.Combine(_scratch, "release");
        var editor = Path.Combine(_scratch, "editor.sh");
        File.WriteAllText(editor, $"#!/bin/sh\nwhile [ ! -e '{release}' ]; do sleep 0.05; done\necho 'person: from the editor' > \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Its output goes nowhere: a descriptor of ours held open would keep Tools.Run reading until it ends.
        var started = Tools.Run("setsid", _memory.BasePath, "-f", "sh", "-c",
            "GIT_EDITOR=\"$0\" exec git -c user.name=P -c user.email=p@x commit -qa </dev/null >/dev/null 2>&1", editor);
        Assert.Equal(0, started.ExitCode);
        var indexLock = Path.Combine(_memory.BasePath, ".git", "index.lock");
        try
        {
            await Until(() => File.Exists(indexLock), "the person's git to take index.lock");

            var pid = person.Running();
            Assert.NotNull(pid);
            Assert.Equal("git", File.ReadAllText($"/proc/{pid}/comm").Trim());
            Assert.NotNull(person.Running()); // found: every call scans until it has gone
            Assert.Equal(3, person.Scans);
        }
        finally
        {
            await File.WriteAllTextAsync(release, "");
        }
        await Until(() => !File.Exists(indexLock) && Tools.Git(_memory.BasePath, "log", "-1", "--format=%s").Trim() == "person: from the editor",
            "the person's commit to land");
        await Until(() => person.Running() is null, "the person's git to exit");
        var scans = person.Scans;
        Assert.Null(person.Running());
        Assert.Equal(scans, person.Scans);
    }

    [Fact]
    public async Task A_git_that_ended_is_not_running_while_nobody_has_reaped_it()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc
        // A git that ran in the repository and ended, and whose parent never waits for it (a python that forks it and
        // sleeps; a shell may reap a child that ends before the shell execs, python reaps nothing it did not ask for): a
        // zombie, as a daemonized `git gc --auto` stays where PID 1 does not reap. It keeps its pid and start time in /proc.
        var start = new System.Diagnostics.ProcessStartInfo("python3") { WorkingDirectory = _memory.BasePath, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-c", "import os, time\npid = os.fork()\nif pid == 0:\n    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n    os.execvp('git', ['git', '--version'])\nprint(pid, flush=True)\ntime.sleep(60)\n" })
            start.ArgumentList.Add(argument);
        using var parent = System.Diagnostics.Process.Start(start)!;
        try
        {
            var pid = int.Parse((await parent.StandardOutput.ReadLineAsync())!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            await Until(() => (StatField(pid, 3) ?? throw new InvalidOperationException($"git {pid} was reaped")) == "Z", "the git to end, unreaped");
            var ended = new GitProcessId(pid, long.Parse(StatField(pid, 22)!, System.Globalization.CultureInfo.InvariantCulture));

            Assert.False(GitProcesses.IsRunning(ended));
        }
        finally
        {
            parent.Kill();
        }
    }

    /// <summary>Field <paramref name="number"/> (1-based, as proc(5) counts) of /proc/PID/stat, or null when it is gone.</summary>
    private static string? StatField(int pid, int number)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[number - 3];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("waited 30 s for " + what);
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        _memory.Dispose();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }
}
