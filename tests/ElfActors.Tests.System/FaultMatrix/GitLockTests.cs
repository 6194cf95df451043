using System.Diagnostics;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>Locks a crashed git left behind are cleared; a lock a live process holds is waited for.</summary>
[Trait("Category", "FaultMatrix")]
public sealed class GitLockTests(ITestOutputHelper output)
{
    private const string ShortStaleAge = "elf.committer.stale-lock-age = 2s";

    private static async Task<List<Recorded>> RecordAsync(ElfTestHost host, int count, string prefix)
    {
        var records = new List<Recorded>();
        for (var i = 0; i < count; i++) records.Add(Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(i, $"{prefix} {i}"))));
        return records;
    }

    private static string MakeOld(string path)
    {
        File.WriteAllText(path, "");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-2));
        return path;
    }

    [Fact]
    public async Task A_stale_index_lock_is_removed_and_the_records_commit()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, ShortStaleAge);
        var indexLock = MakeOld(Path.Combine(memory.BasePath, ".git", "index.lock"));

        var records = await RecordAsync(host, 5, "After a crashed git");
        await host.FlushAsync();

        Assert.False(File.Exists(indexLock));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
    }

    [Fact]
    public async Task A_stale_branch_lock_is_removed_and_the_records_commit()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, ShortStaleAge);
        var first = await RecordAsync(host, 1, "First");
        await host.FlushAsync();
        var branch = Tools.Git(memory.BasePath, "symbolic-ref", "HEAD").Trim();
        var refLock = MakeOld(Path.Combine(memory.BasePath, ".git", branch + ".lock"));

        var records = await RecordAsync(host, 3, "After a crashed commit");
        await host.FlushAsync();

        Assert.False(File.Exists(refLock));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, [.. first, .. records]);
    }

    [Fact]
    public async Task An_old_lock_that_a_live_process_holds_is_waited_for_not_removed()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, ShortStaleAge);
        var indexLock = MakeOld(Path.Combine(memory.BasePath, ".git", "index.lock"));
        // A "git" that is still running: it has the lock file open.
        using var holder = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec 3<>'{indexLock}'; exec sleep 60"]) { UseShellExecute = false })!;
        using var killHolder = new Disposable(() => { if (!holder.HasExited) holder.Kill(); });
        var kit = host.Kit(output);
        await kit.AwaitConditionAsync(() => Task.FromResult(ElfActors.Core.Git.StaleLocks.HolderOf(indexLock) is not null), TimeSpan.FromSeconds(10));

        var records = await RecordAsync(host, 5, "While held");
        await kit.AwaitConditionAsync(
            () => Task.FromResult(host.Options.Monitor.CommitterState.StartsWith($"waiting for a lock held by pid {holder.Id} ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20));
        Assert.True(File.Exists(indexLock));
        Assert.Empty(GitHistory.Log(memory.BasePath));

        holder.Kill(); // the holder dies without cleaning up: now the lock is stale
        await holder.WaitForExitAsync();
        await host.FlushAsync(TimeSpan.FromSeconds(60));

        Assert.False(File.Exists(indexLock));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_persons_git_commit_waiting_in_its_editor_keeps_its_lock_and_succeeds()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, ShortStaleAge);
        var first = await RecordAsync(host, 1, "Before the person");
        await host.FlushAsync();
        using var person = new PersonsGitCommit(memory.BasePath);
        var indexLock = person.IndexLock;
        var kit = host.Kit(output);
        await kit.AwaitConditionAsync(() => Task.FromResult(File.Exists(indexLock)), TimeSpan.FromSeconds(10));

        var records = await RecordAsync(host, 5, "While the person edits");
        await kit.AwaitConditionAsync(
            () => Task.FromResult(host.Options.Monitor.CommitterState.StartsWith($"waiting for a lock held by pid {person.Pid} ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20));
        output.WriteLine("committer: " + host.Options.Monitor.CommitterState);
        // Three times the stale-lock age: a host that went by age would have removed it by now.
        await kit.AwaitConditionAsync(() => Task.FromResult(DateTime.UtcNow - File.GetLastWriteTimeUtc(indexLock) > TimeSpan.FromSeconds(6)),
            TimeSpan.FromSeconds(30));
        Assert.True(File.Exists(indexLock), "the person's index.lock was removed while their editor was open");
        Assert.False(person.HasExited);

        var (exitCode, errors) = await person.Release();
        Assert.True(exitCode == 0, "the person's git commit failed: " + errors);
        await host.FlushAsync(TimeSpan.FromSeconds(60));

        // Every record in the tip tree, added by exactly one commit, with its row (the person's own file is in history too).
        var tip = Tools.Git(memory.BasePath, "ls-tree", "-r", "--name-only", "HEAD").Split('\n');
        var added = Tools.Git(memory.BasePath, "log", "--diff-filter=A", "--name-only", "--format=").Split('\n');
        foreach (var record in first.Concat(records))
        {
            Assert.Contains(record.RelativePath, tip);
            Assert.Single(added, path => path == record.RelativePath);
            Assert.Equal(1, Tools.SqliteScalar(memory.DatabasePath, $"SELECT COUNT(*) FROM learnings WHERE id = {record.RecordId}"));
        }
        Assert.Contains(PersonsGitCommit.Message, Tools.Git(memory.BasePath, "log", "--format=%s"));
        Assert.Equal("v2\n", Tools.Git(memory.BasePath, "show", "HEAD:notes.txt"));
        Assert.DoesNotContain("notes.txt", Tools.Git(memory.BasePath, "status", "--porcelain"));
    }
}

file sealed class Disposable(Action dispose) : IDisposable
{
    public void Dispose() => dispose();
}
