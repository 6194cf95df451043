using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// The branch moved in-process (docs/adr/0058), judged by the git executable: the ref, both reflogs (the branch's and
/// HEAD's) as `git update-ref -m` writes them, git's lock and compare-and-swap honoured, packed refs read, and git
/// asked instead wherever the refs are not plain files or git would run something of the person's.
/// </summary>
[Trait("Category", "FaultMatrix")]
public sealed class LooseRefUpdateTests : IDisposable
{
    private readonly TempMemory _memory = new();

    public LooseRefUpdateTests() => GitStore.EnsureRepository(_memory.Paths);

    private string Base => _memory.BasePath;

    private string Write(string relativePath, string content)
    {
        var path = _memory.Paths.Absolute(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return relativePath;
    }

    private string Head() => Tools.Git(Base, "rev-parse", "HEAD").Trim();

    /// <summary>The branch HEAD points at (libgit2's init names it), e.g. refs/heads/main.</summary>
    private string Branch => Tools.Git(Base, "symbolic-ref", "HEAD").Trim();

    private string BranchFile(string suffix = "") => Path.Combine(Base, ".git", Branch + suffix);

    private string[] Reflog(string reference) =>
        Tools.Git(Base, "reflog", "show", "--format=%H %gs", reference).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private void AssertGitIsContent()
    {
        var fsck = Tools.Run("git", Base, "fsck", "--strict", "--no-progress");
        Assert.True(fsck.ExitCode == 0, fsck.Stderr);
        Assert.Equal(string.Empty, Tools.Git(Base, "status", "--porcelain"));
    }

    [Fact]
    public void The_branch_and_heads_reflogs_get_the_entries_git_update_ref_writes()
    {
        using var store = new GitStore(_memory.Paths);
        var first = store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n"); // unborn: git's
        var second = store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2   and  more\n\nElf-Record: 2\n");
        var third = store.CommitFiles([Write("memory/failures/3.md", "3")], "failure: 3\n\nElf-Record: 3\n");

        Assert.Equal(2, store.BranchMovesInProcess);
        Assert.Equal("an unborn branch", store.LastBranchMoveByGit);
        Assert.Equal(third, Head());
        Assert.Equal(third + "\n", File.ReadAllText(BranchFile()));
        string[] expected = [$"{third} elf: failure: 3", $"{second} elf: failure: 2 and more", $"{first} elf: failure: 1"];
        Assert.Equal(expected, Reflog(Branch));
        Assert.Equal(expected, Reflog("HEAD"));
        // The old and new ids of each line chain as git's own reflog reader expects (git log -g walks them).
        Assert.Equal([third, second, first], Tools.Git(Base, "log", "-g", "--format=%H", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var line = File.ReadAllLines(Path.Combine(Base, ".git", "logs", Branch))[2];
        Assert.StartsWith($"{second} {third} ", line);
        Assert.Matches(@" <[^>]*> \d+ [+-]\d{4}\telf: failure: 3$", line);
        Assert.False(File.Exists(BranchFile(".lock")));
        Assert.False(File.Exists(Path.Combine(Base, ".git", "HEAD.lock")));
        AssertGitIsContent();
    }

    [Fact]
    public void A_branch_only_in_packed_refs_is_read_there_and_moved_by_a_loose_ref_as_git_does()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var packed = store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");
        Tools.Git(Base, "pack-refs", "--all", "--prune");
        Assert.False(File.Exists(BranchFile()));

        var next = store.CommitFiles([Write("memory/failures/3.md", "3")], "failure: 3\n\nElf-Record: 3\n");

        Assert.Equal(2, store.BranchMovesInProcess);
        Assert.Equal(next, Head());
        Assert.Equal(packed, Tools.Git(Base, "rev-parse", "HEAD~1").Trim());
        Assert.Equal($"{next} {Branch}", Tools.Git(Base, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/").Trim());
        AssertGitIsContent();
    }

    [Fact]
    public void A_branch_lock_held_by_another_git_is_waited_for_and_left_alone()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var before = Head();
        var lockPath = BranchFile(".lock");
        File.WriteAllText(lockPath, "a person's git is updating the branch\n");

        var held = Assert.Throws<GitLockHeldException>(() => store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n"));

        Assert.Equal(lockPath, held.LockPath);
        Assert.Equal("a person's git is updating the branch\n", File.ReadAllText(lockPath));
        Assert.Equal(before, Head());
        Assert.Single(Reflog(Branch));
        File.Delete(lockPath);
        var after = store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");
        Assert.Equal(after, Head());
        Assert.Equal(before, Tools.Git(Base, "rev-parse", "HEAD~1").Trim());
        AssertGitIsContent();
    }

    [Fact]
    public void A_head_lock_held_by_another_git_is_waited_for_and_the_branch_is_not_moved()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var before = Head();
        var headLock = Path.Combine(Base, ".git", "HEAD.lock");
        File.WriteAllText(headLock, "ref: refs/heads/other\n"); // a person's checkout in progress

        Assert.Throws<GitLockHeldException>(() => store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n"));

        Assert.Equal(before, Head());
        Assert.Equal("ref: refs/heads/other\n", File.ReadAllText(headLock));
        Assert.False(File.Exists(BranchFile(".lock")));
        File.Delete(headLock);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_reference_transaction_hook_is_run_by_git_which_moves_the_branch()
    {
        using var store = new GitStore(_memory.Paths);
        store.CommitFiles([Write("memory/failures/1.md", "1")], "failure: 1\n\nElf-Record: 1\n");
        var hook = Path.Combine(Base, ".git", "hooks", "reference-transaction");
        var ran = Path.Combine(Base, ".git", "hook-ran");
        Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
        File.WriteAllText(hook, $"#!/bin/sh\necho \"$1\" >> '{ran}'\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var commit = store.CommitFiles([Write("memory/failures/2.md", "2")], "failure: 2\n\nElf-Record: 2\n");

        Assert.Equal(0, store.BranchMovesInProcess);
        Assert.Equal("a reference-transaction hook", store.LastBranchMoveByGit);
        Assert.Contains("committed", File.ReadAllText(ran));
        Assert.Equal(commit, Head());
        AssertGitIsContent();
    }

    [Theory]
    [InlineData("extensions.refstorage", "reftable", "refs stored as reftable")]
    [InlineData("core.fsync", "reference", "core.fsync is set")]
    [InlineData("core.sharedrepository", "group", "core.sharedRepository is set")]
    [InlineData("core.hookspath", "hooks", "core.hooksPath is relative")]
    public void Git_moves_the_branch_where_the_refs_or_the_settings_are_not_plain_files(string key, string value, string expected)
    {
        var gitDirectory = Path.Combine(Base, ".git");
        Assert.Null(LooseRefUpdate.WhyGitMust(gitDirectory, _ => null, "refs/heads/main", new string('1', 40)));
        Assert.Equal(expected, LooseRefUpdate.WhyGitMust(gitDirectory, k => k == key ? value : null, "refs/heads/main", new string('1', 40)));
        Assert.Equal("an unborn branch", LooseRefUpdate.WhyGitMust(gitDirectory, _ => null, "refs/heads/main", null));
    }

    public void Dispose() => _memory.Dispose();
}
