using System.Diagnostics;
using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>Git cannot write, an object is corrupt, the disk is full, the index cannot be written: acknowledgements keep their promise.</summary>
[Trait("Category", "FaultMatrix")]
public sealed class GitAndDiskFaultTests(ITestOutputHelper output)
{
    // Restarts back off between 100 ms and 1 s here, so a storm would show as dozens of starts.
    private const string Backoff = "elf.committer.backoff { min = 100ms, max = 1s, random-factor = 0.1 }";

    private static async Task<List<Recorded>> RecordAsync(ElfTestHost host, int count, string prefix)
    {
        var records = new List<Recorded>();
        for (var i = 0; i < count; i++) records.Add(Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(i, $"{prefix} {i}"))));
        return records;
    }

    /// <summary>The pack file that holds an object, and the object's offset in it (from git's own verify-pack).</summary>
    private static (string PackFile, long Offset) PackedObject(string repository, string objectId)
    {
        foreach (var index in Directory.GetFiles(Path.Combine(repository, ".git", "objects", "pack"), "*.idx"))
        {
            var line = Tools.Git(repository, "verify-pack", "-v", index).Split('\n').FirstOrDefault(l => l.StartsWith(objectId + " ", StringComparison.Ordinal));
            if (line is null) continue;
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (Path.ChangeExtension(index, ".pack"), long.Parse(columns[4], System.Globalization.CultureInfo.InvariantCulture));
        }
        throw new InvalidOperationException($"{objectId} is in no pack");
    }

    [ImmutableFact]
    public async Task An_unwritable_objects_folder_backs_the_committer_off_and_everything_commits_once_it_is_writable()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, Backoff);
        // Loose objects and packs (where the committer writes a batch's blobs, trees and commit) alike.
        string[] objects = [Path.Combine(memory.BasePath, ".git", "objects"), Path.Combine(memory.BasePath, ".git", "objects", "pack")];
        Directory.CreateDirectory(objects[1]);
        foreach (var folder in objects) FileSystemFaults.Immutable(folder, on: true);
        List<Recorded> records;
        try
        {
            records = await RecordAsync(host, 10, "Git cannot write"); // recording does not need git
            await host.Kit(output).AwaitConditionAsync(
                () => Task.FromResult(host.Options.Monitor.CommitterState.StartsWith("backing off after:", StringComparison.Ordinal)
                                      && host.Options.Monitor.CommitterStarts >= 3),
                TimeSpan.FromSeconds(30));
            var startsBefore = host.Options.Monitor.CommitterStarts;
            await Task.Delay(3000); // observe the back-off over a fixed window
            var startsInWindow = host.Options.Monitor.CommitterStarts - startsBefore;
            output.WriteLine($"committer starts in 3 s of failing git: {startsInWindow}");
            Assert.InRange(startsInWindow, 1, 8); // at most ~3/s at the 1 s ceiling: bounded, not a storm
            Assert.Empty(GitHistory.Log(memory.BasePath));
        }
        finally
        {
            foreach (var folder in objects) FileSystemFaults.Immutable(folder, on: false);
        }
        await host.FlushAsync(TimeSpan.FromSeconds(60));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, records);
    }

    [Fact]
    public async Task A_corrupt_object_backs_the_committer_off_and_everything_commits_once_it_is_repaired()
    {
        using var memory = new TempMemory();
        List<Recorded> first;
        await using (var before = await ElfTestHost.StartAsync(memory.Paths, Backoff))
        {
            first = await RecordAsync(before, 2, "Before the corruption");
            await before.FlushAsync();
        }

        // The tip's tree is read to build the next commit: garble it where it is stored, in the batch's pack (as a
        // bad disk sector would). A running committer keeps the trees it built and libgit2 the objects it read,
        // so the host starts afterwards.
        var commitsBefore = Tools.Git(memory.BasePath, "rev-list", "--count", "HEAD");
        var tree = Tools.Git(memory.BasePath, "rev-parse", "HEAD^{tree}").Trim();
        var (objectFile, offset) = PackedObject(memory.BasePath, tree);
        var original = File.ReadAllBytes(objectFile);
        Tools.Run("chmod", "/", "u+w", objectFile);
        var garbled = original.ToArray();
        "not zlib"u8.CopyTo(garbled.AsSpan((int)offset + 2)); // past the object's type-and-size header
        File.WriteAllBytes(objectFile, garbled);
        await using var host = await ElfTestHost.StartAsync(memory.Paths, Backoff);
        List<Recorded> during;
        try
        {
            during = await RecordAsync(host, 10, "While an object is corrupt"); // acknowledged: recording does not need git
            await host.Kit(output).AwaitConditionAsync(
                () => Task.FromResult(host.Options.Monitor.CommitterState.StartsWith("backing off after:", StringComparison.Ordinal)
                                      && host.Options.Monitor.CommitterStarts >= 3),
                TimeSpan.FromSeconds(30));
            output.WriteLine(host.Options.Monitor.CommitterState);
            var startsBefore = host.Options.Monitor.CommitterStarts;
            await Task.Delay(3000); // observe the back-off over a fixed window
            var startsInWindow = host.Options.Monitor.CommitterStarts - startsBefore;
            output.WriteLine($"committer starts in 3 s with a corrupt object: {startsInWindow}");
            Assert.InRange(startsInWindow, 1, 8);
            Assert.Equal(commitsBefore, Tools.Git(memory.BasePath, "rev-list", "--count", "HEAD")); // (git log would read the bad tree)
        }
        finally
        {
            File.WriteAllBytes(objectFile, original);
        }
        await host.FlushAsync(TimeSpan.FromSeconds(60));
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, [.. first, .. during]);
        Assert.Equal(0, Tools.Run("git", memory.BasePath, "fsck", "--no-dangling").ExitCode);
    }

    [ImmutableFact]
    public async Task An_index_that_cannot_be_written_fails_recording_clearly_and_writes_nothing()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, "elf.index.busy-timeout = 1s");
        var wal = memory.DatabasePath + "-wal";
        MemoryBootstrap.Prepare(memory.Paths, ElfActors.Actors.ElfSettings.Default.Index, false);
        if (!File.Exists(wal)) File.WriteAllText(wal, "");
        FileSystemFaults.Immutable(memory.Paths.MemoryDirectory, on: true);
        FileSystemFaults.Immutable(wal, on: true);
        try
        {
            var reply = await host.RecordAsync(Failures.Request(1));
            output.WriteLine(reply.ToString());
            Assert.Contains("index", Assert.IsType<Failed>(reply).Reason);
        }
        finally
        {
            FileSystemFaults.Immutable(wal, on: false);
            FileSystemFaults.Immutable(memory.Paths.MemoryDirectory, on: false);
        }
        await host.FlushAsync();
        MemoryAssert.NothingWritten(memory);

        // Once the index can be written again, recording works.
        var after = await RecordAsync(host, 2, "After the fault");
        await host.FlushAsync();
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, after);
    }

    [TmpfsFact]
    public async Task A_full_disk_refuses_new_records_clearly_keeps_acknowledged_ones_and_commits_them_once_there_is_room()
    {
        var mount = Path.Combine(Path.GetTempPath(), "elf-full-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mount);
        Assert.Equal(0, Tools.Run("mount", "/", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount).ExitCode);
        try
        {
            var paths = new MemoryPaths(Path.Combine(mount, "memory-base"));
            var filler = Path.Combine(mount, "filler");
            List<Recorded> acknowledged;
            await using (var host = await ElfTestHost.StartAsync(paths, Backoff))
            {
                // Hold commits back with a lock a live process holds, so records are acknowledged but not yet in git.
                var indexLock = Path.Combine(paths.BasePath, ".git", "index.lock");
                File.WriteAllText(indexLock, "");
                using var holder = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec 3<>'{indexLock}'; exec sleep 60"]) { UseShellExecute = false })!;
                try
                {
                    acknowledged = await RecordAsync(host, 5, "Before the disk filled");
                    Tools.Run("dd", "/", "if=/dev/zero", $"of={filler}", "bs=64k"); // until the disk is full
                    var refused = await host.RecordAsync(Failures.Request(99, "When the disk is full"));
                    output.WriteLine(refused.ToString());
                    // The row comes first, then the file: whichever of the two finds the disk full refuses it, by name.
                    Assert.Matches("No space left on device|database or disk is full", Assert.IsType<Failed>(refused).Reason);
                    holder.Kill();
                    await holder.WaitForExitAsync();
                    File.Delete(indexLock);
                    // The committer now fails to write its pack on the full disk, and is restarted after a back-off. (The
                    // restarted one may find room for a small pack where the failed one's was removed: count the starts,
                    // which only grow, rather than poll for a state that can be over between two looks.)
                    await host.Kit(output).AwaitConditionAsync(() => Task.FromResult(host.Options.Monitor.CommitterStarts >= 2), TimeSpan.FromSeconds(30));
                }
                finally
                {
                    if (!holder.HasExited) holder.Kill();
                }
                File.Delete(filler);
                await host.FlushAsync(TimeSpan.FromSeconds(60));
            }
            Assert.Equal(5, Tools.SqliteScalar(paths.DatabasePath, "SELECT COUNT(*) FROM learnings"));
            var trailers = GitHistory.Log(paths.BasePath).SelectMany(c => c.RecordTrailers).ToList();
            Assert.Equal(acknowledged.Select(r => r.RecordId).Order(), trailers.Order());
            Assert.Empty(Directory.EnumerateFiles(paths.FailuresDirectory, ".elf-*"));
        }
        finally
        {
            Tools.Run("umount", "/", "-l", mount);
            try { Directory.Delete(mount, recursive: true); } catch (IOException) { }
        }
    }
}
