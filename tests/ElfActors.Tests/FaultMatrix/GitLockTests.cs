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
            () => Task.FromResult(host.Options.Monitor.CommitterState.StartsWith("waiting: .git/index.lock held since", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20));
        Assert.True(File.Exists(indexLock));
        Assert.Empty(GitHistory.Log(memory.BasePath));

        holder.Kill(); // the holder dies without cleaning up: now the lock is stale
        await holder.WaitForExitAsync();
        await host.FlushAsync(TimeSpan.FromSeconds(60));

        Assert.False(File.Exists(indexLock));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
    }
}

file sealed class Disposable(Action dispose) : IDisposable
{
    public void Dispose() => dispose();
}
