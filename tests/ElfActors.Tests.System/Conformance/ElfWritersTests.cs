using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Core.Audit;
using ElfActors.Core.Import;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Conformance;

/// <summary>
/// ELF's own writers on a memory elf created: ELF's learning-loop hooks (run from the snapshot, with a temporary HOME)
/// store what they store on ELF's own memory, <c>elf verify</c> is consistent afterwards, and <c>elf reindex --force</c>
/// keeps every row and table they wrote (docs/adr/0021). Counted with sqlite3.
/// </summary>
public sealed class ElfWritersTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ElfHome _home = new();

    private long Count(string sql) => Tools.SqliteScalar(_home.DatabasePath, sql);

    internal static async Task RecordWithElfAsync(ElfActors.Contracts.MemoryPaths paths)
    {
        await using var host = await ElfTestHost.StartAsync(paths);
        async Task Ask(object message) => Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(message, Timeout));
        await Ask(new RecordRequest("f1", new LearningInput("Lock timeout in CI", "git", "high", "ci,git", "the lock was held")));
        await Ask(new RecordRequest("s1", new LearningInput("Retry worked", "git", null, "ci", "it worked") { Type = "success" }));
        await Ask(new RecordRequest("h1", new HeuristicInput("git", "Always retry a held lock", "it clears", "failure", "0.8")));
        await Ask(new RecordRequest("d1", new DecisionInput("Use one committer", "locks", "one actor", "no contention", "a or b", "git", "x.cs", "XTests")));
        await host.Committer.Ask<CommitterProtocol.AllCommitted>(CommitterProtocol.AwaitAllCommitted.Instance, Timeout);
    }

    [ElfPythonFact]
    public async Task Elfs_hooks_work_on_a_memory_elf_created_verify_is_consistent_and_reindex_keeps_what_they_wrote()
    {
        await RecordWithElfAsync(_home.Paths);
        _home.Install("conductor");

        var pre = _home.PreTask("fix the git lock", "fix the git lock in src/app.py");
        Assert.True(pre.ExitCode == 0, pre.ToString());
        Assert.Contains("Always retry a held lock", pre.Stdout); // ELF's hook injects the heuristic elf recorded
        var failed = _home.PostTask("fix the git lock", "Error: could not open src/app.py, permission denied");
        Assert.True(failed.ExitCode == 0, failed.ToString());
        var learned = _home.PostTask("rebase docs", "Done. Edited src/lib.py\n[LEARNED:git] Always fetch before a rebase");
        Assert.True(learned.ExitCode == 0, learned.ToString());
        foreach (var output in new[] { pre, failed, learned }) Assert.DoesNotContain("no such table", output.Stderr);

        // What ELF's hooks store on ELF's own memory: the auto-captured failure (no file), its metrics, the auto
        // heuristic (no domain-file entry), trails, the conductor's runs and node executions.
        Assert.Equal(1, Count("SELECT COUNT(*) FROM learnings WHERE filepath LIKE 'auto-failures/%'"));
        Assert.Equal(1, Count("SELECT COUNT(*) FROM metrics WHERE metric_type = 'auto_failure_capture'"));
        Assert.Equal(1, Count("SELECT COUNT(*) FROM heuristics WHERE source_type = 'auto'"));
        Assert.Equal(2, Count("SELECT COUNT(*) FROM trails"));
        Assert.Equal(2, Count("SELECT COUNT(*) FROM workflow_runs"));
        Assert.Equal(2, Count("SELECT COUNT(*) FROM node_executions"));
        var snapshot = TableCounts();

        var verified = MemoryVerifier.Verify(_home.Paths);
        Assert.True(verified.Consistent, string.Join('\n', verified.RowsWithoutFile.Concat(verified.FilesWithoutRow).Concat(verified.RowsNotInGit)));

        var summary = Reindexer.Run(_home.Paths, ElfSettings.Default.Index, replaceExisting: true, TimeProvider.System);
        Assert.NotNull(summary.MovedAside);
        Assert.Equal(snapshot, TableCounts());
        Assert.Equal("Always fetch before a rebase|auto|0.5", string.Join('|', Tools.Sqlite(_home.DatabasePath,
            "SELECT rule, source_type, confidence FROM heuristics WHERE source_type = 'auto'").Single()));
        Assert.True(MemoryVerifier.Verify(_home.Paths).Consistent);

        // And ELF's hooks keep working on the reindexed memory.
        var again = _home.PostTask("fix the git lock", "Error: failed: timed out");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(2, Count("SELECT COUNT(*) FROM learnings WHERE filepath LIKE 'auto-failures/%'"));
    }

    /// <summary>Rows per table, every table but ElfActors' own.</summary>
    private Dictionary<string, long> TableCounts() =>
        Tools.Sqlite(_home.DatabasePath, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'elf_%' AND name NOT LIKE 'sqlite_%'")
            .Select(r => r[0]).ToDictionary(t => t, t => Count($"SELECT COUNT(*) FROM \"{t}\""));

    public void Dispose() => _home.Dispose();
}
