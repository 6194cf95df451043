using ElfActors.Core.Files;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// What wakes an idle committer (docs/adr/0042): the system's reports of a person's git changing the repository, each
/// armed report calling back once; real git commands in a temp repository.
/// </summary>
public sealed class FolderWatchTests : IDisposable
{
    private readonly TempMemory _memory = new();
    private readonly SemaphoreSlim _called = new(0);
    private int _calls;

    public FolderWatchTests()
    {
        Tools.Git(_memory.BasePath, "init", "-q");
        Commit("first");
    }

    private void Commit(string name)
    {
        File.WriteAllText(Path.Combine(_memory.BasePath, name + ".txt"), name + "\n");
        Tools.Git(_memory.BasePath, "add", name + ".txt");
        Tools.GitCommitAsPerson(_memory.BasePath, "person: " + name);
    }

    private FolderWatch Start(IReadOnlyList<WatchedFolder> folders) => FolderWatch.Start(folders, () =>
    {
        Interlocked.Increment(ref _calls);
        _called.Release();
    }, _ => { });

    private async Task CalledBack(string what) =>
        Assert.True(await _called.WaitAsync(TimeSpan.FromSeconds(30)), "no call back within 30 s after " + what);

    [Fact]
    public async Task A_persons_commit_and_a_new_branch_in_a_folder_of_its_own_each_call_back_once_armed()
    {
        using var watch = Start(GitFolders.Watched(Path.Combine(_memory.BasePath, ".git")));
        Assert.Null(watch.Failed);

        watch.Arm();
        Commit("second");
        await CalledBack("a commit");

        watch.Arm();
        Tools.Git(_memory.BasePath, "update-ref", "refs/heads/team/alice/topic", "HEAD");
        await CalledBack("a branch below refs/heads/team/alice, a folder made after the watch started");

        watch.Arm();
        Tools.Git(_memory.BasePath, "update-ref", "refs/heads/team/alice/topic", "HEAD~1");
        await CalledBack("that branch moved back");
        Assert.InRange(Volatile.Read(ref _calls), 3, 3);
    }

    [Fact]
    public async Task Only_the_names_asked_for_call_back()
    {
        var folder = Path.Combine(_memory.BasePath, "watched");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "index.db"), "there before\n");
        using var watch = Start([new WatchedFolder(folder, Recursive: false, "index.db") { Writes = true }]);
        watch.Arm();
        File.WriteAllText(Path.Combine(folder, "other.txt"), "not watched\n");
        Assert.False(await _called.WaitAsync(TimeSpan.FromSeconds(1)), "a name not asked for called back");
        File.AppendAllText(Path.Combine(folder, "index.db"), "written in place\n");
        await CalledBack("index.db was written in place");
        Assert.Equal(1, Volatile.Read(ref _calls));
    }

    [Fact]
    public async Task Without_writes_a_file_written_in_place_is_not_reported_and_a_lock_renamed_over_it_is()
    {
        var folder = Path.Combine(_memory.BasePath, "watched");
        Directory.CreateDirectory(folder);
        var head = Path.Combine(folder, "HEAD");
        File.WriteAllText(head, "ref: refs/heads/main\n");
        using var watch = Start([new WatchedFolder(folder, Recursive: false, "HEAD")]);
        watch.Arm();
        File.AppendAllText(head, "\n");
        Assert.False(await _called.WaitAsync(TimeSpan.FromSeconds(1)), "a write in place called back without Writes");
        File.WriteAllText(head + ".lock", "ref: refs/heads/other\n");
        File.Move(head + ".lock", head, overwrite: true); // as git moves HEAD and refs
        await CalledBack("HEAD.lock was renamed over HEAD");
    }

    [Fact]
    public void A_folder_that_cannot_be_watched_starts_failed_with_the_reason()
    {
        var missing = Path.Combine(_memory.BasePath, "no-such-folder");
        using var watch = Start([new WatchedFolder(missing, Recursive: false)]);
        Assert.NotNull(watch.Failed);
        Assert.Contains("no-such-folder", watch.Failed);
        watch.Arm();
        Assert.Equal(0, Volatile.Read(ref _calls));
    }

    [Fact]
    public void A_linked_worktree_is_watched_in_its_own_git_folder_and_in_the_main_repositorys_refs()
    {
        var worktree = _memory.BasePath + "-worktree";
        try
        {
            Tools.Git(_memory.BasePath, "worktree", "add", "-q", "-b", "side", worktree);
            var gitDirectory = Tools.Git(worktree, "rev-parse", "--absolute-git-dir").Trim();
            var folders = GitFolders.Watched(gitDirectory).Select(f => (f.Path, f.Recursive)).ToList();
            var common = Path.Combine(_memory.BasePath, ".git");
            Assert.Equal([(gitDirectory, false), (common, false), (Path.Combine(common, "refs", "heads"), true)], folders);
        }
        finally
        {
            if (Directory.Exists(worktree)) Directory.Delete(worktree, recursive: true);
        }
    }

    public void Dispose()
    {
        _called.Dispose();
        _memory.Dispose();
    }
}
