using System.Diagnostics;
using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>Another process holds SQLite's write lock (ELF's dashboard, a script): wait within a deadline, else fail cleanly.</summary>
[Trait("Category", "FaultMatrix")]
public sealed class SqliteContentionTests
{
    /// <summary>Holds a write transaction on the index from a separate sqlite3 process for <paramref name="seconds"/>.</summary>
    private static Process HoldWriteLock(TempMemory memory, double seconds)
    {
        var start = new ProcessStartInfo("sqlite3", [memory.DatabasePath]) { RedirectStandardInput = true, UseShellExecute = false };
        var process = Process.Start(start)!;
        // A busy timeout for taking the lock: a probe of WaitUntilLockedAsync (or the host's own start-up writes) may
        // hold it for a moment, and without one BEGIN IMMEDIATE fails at once and the sleep below holds nothing.
        process.StandardInput.WriteLine(".timeout 10000");
        process.StandardInput.WriteLine("BEGIN IMMEDIATE;");
        process.StandardInput.WriteLine("INSERT INTO elf_migrations(version, name, applied_at) VALUES (999, 'held by a test', 'now');");
        process.StandardInput.WriteLine($".shell sleep {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        process.StandardInput.WriteLine("ROLLBACK;");
        process.StandardInput.Close(); // sqlite3 exits at the end of its input

        return process;
    }

    private static async Task WaitUntilLockedAsync(TempMemory memory)
    {
        // The lock is taken once sqlite3 has run BEGIN IMMEDIATE: a write from here fails fast until it is released.
        for (var i = 0; i < 100; i++)
        {
            var (code, _, _) = Tools.Run("sqlite3", memory.BasePath, "-cmd", ".timeout 0", memory.DatabasePath, "BEGIN IMMEDIATE; ROLLBACK;");
            if (code != 0) return;
            await Task.Delay(20);
        }
        throw new TimeoutException("the other writer never took the lock");
    }

    [Fact]
    public async Task A_write_lock_held_for_a_few_seconds_delays_records_and_they_all_land()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        using var other = HoldWriteLock(memory, 3);
        await WaitUntilLockedAsync(memory);

        var replies = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => host.RecordAsync(Failures.Request(i))));

        Assert.All(replies, r => Assert.IsType<Recorded>(r));
        await other.WaitForExitAsync();
        await host.FlushAsync();
        MemoryAssert.EveryRecordLandedExactlyOnce(memory, replies.Cast<Recorded>().ToList());
    }

    [Fact]
    public async Task A_write_lock_held_past_the_busy_timeout_fails_records_clearly_and_writes_nothing()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, "elf.index.busy-timeout = 1s");
        using var other = HoldWriteLock(memory, 6);
        await WaitUntilLockedAsync(memory);

        var replies = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => host.RecordAsync(Failures.Request(i))));

        Assert.All(replies, r => Assert.Contains("database is locked", Assert.IsType<Failed>(r).Reason));
        await other.WaitForExitAsync();
        await host.FlushAsync();
        MemoryAssert.NothingWritten(memory);
    }
}
