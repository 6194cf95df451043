using System.Diagnostics;
using ElfActors.Actors;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.CommitterProtocol;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A commit is announced (<see cref="RecordsCommitted"/>: <c>--wait-commit</c>, the simulator's "committed") by the index
/// writer once it has stored the commit's marks (docs/adr/0054), not by the committer, which by then is making its next
/// commit. The marks are read with sqlite3, the commits with git, not through the code under test.
/// </summary>
public sealed class CommitAnnouncementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_commit_is_announced_while_the_committer_is_busy_with_its_next_commit()
    {
        using var memory = new TempMemory();
        using var nextCommitMayGoOn = new ManualResetEventSlim();
        Process? sqliteLock = null;
        ElfTestHost? host = null;
        var plan = new GitFaultPlan
        {
            BeforeCommit = call =>
            {
                if (call == 2)
                {
                    // During this commit another record is acknowledged (its doorbell waits in the committer's
                    // mailbox: the committer starts its next commit right after this one), and then another process takes
                    // the index's write lock, so this commit's marks cannot be stored before the next commit runs.
                    Assert.IsType<Recorded>(host!.RecordAsync(Failures.Request(1)).GetAwaiter().GetResult());
                    sqliteLock = HoldWriteLock(memory);
                }
                if (call == 3)
                {
                    // The committer's thread is here, in its next commit: the marks may be stored now. The commit is held
                    // (as a long batch holds the committer) until the test has seen the one before announced.
                    sqliteLock!.StandardInput.WriteLine("ROLLBACK;");
                    sqliteLock.StandardInput.Close();
                    nextCommitMayGoOn.Wait(TimeSpan.FromSeconds(30));
                }
            },
        };
        host = await ElfTestHost.StartAsync(memory.Paths, """
            elf.committer.max-batch-size = 1
            elf.committer.min-commit-interval = 0
            """, plan.Factory);
        await using var _ = host;
        var kit = host.Kit(output);
        var announcements = kit.CreateTestProbe();
        host.System.EventStream.Subscribe(announcements.Ref, typeof(RecordsCommitted));

        // A commit first, so that the branch has a tip the committer has verified (the very first commit is followed by a
        // reachability check that waits for its marks).
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(2)));
        announcements.ExpectMsg<RecordsCommitted>(TimeSpan.FromSeconds(15));

        try
        {
            var first = Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));
            var announced = announcements.ExpectMsg<RecordsCommitted>(TimeSpan.FromSeconds(15));
            Assert.Equal([first.RecordId], announced.RecordIds);
            // Announced while the next commit is held: the committer, its thread held there, could not have announced
            // it (it would have, once the next commit was made).
            Assert.Equal(3, plan.CommitCalls);
            Assert.False(nextCommitMayGoOn.IsSet);
            Assert.Equal(2, GitHistory.Log(memory.BasePath).Count);
            // Whoever is told "committed" finds the outbox saying so (docs/adr/0029), with the commit git has.
            Assert.Equal(announced.CommitId, Tools.Sqlite(memory.DatabasePath,
                $"SELECT commit_id FROM elf_outbox WHERE row_table = 'learnings' AND row_id = {first.RecordId}").Single()[0]);
            Assert.Equal(announced.CommitId, GitHistory.Log(memory.BasePath)[0].Sha);
        }
        finally
        {
            nextCommitMayGoOn.Set();
            if (sqliteLock is not null)
            {
                if (!sqliteLock.HasExited) sqliteLock.Kill();
                sqliteLock.Dispose();
            }
        }

        var second = announcements.ExpectMsg<RecordsCommitted>(TimeSpan.FromSeconds(15));
        await host.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(second.CommitId, GitHistory.Log(memory.BasePath)[0].Sha);
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        Assert.Empty(GitHistory.Status(memory.BasePath));
    }

    /// <summary>A sqlite3 process that holds the index's write lock until it reads ROLLBACK; returns once the lock is held.</summary>
    private static Process HoldWriteLock(TempMemory memory)
    {
        var process = Process.Start(new ProcessStartInfo("sqlite3", [memory.DatabasePath]) { RedirectStandardInput = true, UseShellExecute = false })!;
        process.StandardInput.WriteLine(".timeout 10000");
        process.StandardInput.WriteLine("BEGIN IMMEDIATE;");
        process.StandardInput.Flush();
        // Held once a write from another process fails at once.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Tools.Run("sqlite3", memory.BasePath, "-cmd", ".timeout 0", memory.DatabasePath, "BEGIN IMMEDIATE; ROLLBACK;").ExitCode == 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("sqlite3 never took the index's write lock");
            Thread.Sleep(10); // polling another process's state: nothing to await
        }
        return process;
    }
}
