using System.Text.Json;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// A missing or recreated memory/index.db (issue #17): removed, replaced by an empty ELF-schema database, or swept
/// away by `git clean -fdx` with everything else untracked, with the host stopped and while it records; or, while it
/// records, overwritten in place (same inode) by `cp` of another memory's index or of a file that is no database. Real `elf`
/// processes; counted afterwards with sqlite3, `git log`, the tip's tree.
/// Every acknowledged record must end with exactly one row, its file in the tip, added by exactly one commit, and no
/// record may be taken for committed because of an old commit's trailer.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "FaultMatrix")]
public sealed class IndexLossTests(PublishedElf elf, ITestOutputHelper output)
{
    [Theory]
    [InlineData("rm-stopped")]
    [InlineData("replace-stopped")]
    [InlineData("rm-running")]
    [InlineData("replace-running")]
    [InlineData("clean-fdx-stopped")]
    [InlineData("clean-fdx-running")]
    [InlineData("overwrite-running")]
    [InlineData("garbage-running")]
    public async Task A_missing_or_recreated_index_is_rebuilt_and_loses_nothing(string scenario)
    {
        await using var served = new ServedMemory(elf);
        var database = served.Memory.DatabasePath;
        var results = new List<ProcessResult>();
        Task<ProcessResult> Record(string title, bool wait) => elf.RunAsync(["record-failure", "--base", served.Base, "--title", title,
            "--domain", "index", "--request-id", title.Replace(' ', '-'), "--json", "--timeout", "60", .. wait ? new[] { "--wait-commit" } : []],
            timeout: TimeSpan.FromSeconds(120));
        // At full size in scripts/fault-matrix: the person-operations matrix's load (300 records from 10 clients) while the
        // host runs, or after the index went with the host stopped.
        var inPlace = scenario.StartsWith("overwrite", StringComparison.Ordinal) || scenario.StartsWith("garbage", StringComparison.Ordinal);
        var (duringCount, clients) = (KillNineTests.Setting("ELF_PERSON_RECORDS", 20), KillNineTests.Setting("ELF_PERSON_CLIENTS", 4));
        async Task Load(string name, int count)
        {
            using var concurrency = new SemaphoreSlim(clients);
            results.AddRange(await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await concurrency.WaitAsync();
                try { return await Record($"{scenario} {name} {i}", wait: false); }
                finally { concurrency.Release(); }
            })));
        }

        // History first: records committed before the index goes.
        await Load("before", 20);
        var flushed = await elf.RunAsync(["flush", "--base", served.Base, "--timeout", "120"], timeout: TimeSpan.FromSeconds(180));
        Assert.True(flushed.ExitCode == 0, flushed.ToString());
        var inodeBefore = Inode(database);
        if (scenario.EndsWith("-stopped", StringComparison.Ordinal))
        {
            var stopped = await elf.RunAsync("stop", "--base", served.Base);
            Assert.True(stopped.ExitCode == 0, stopped.ToString());
            Assert.Equal(0, PublishedElf.HostProcesses(served.Base));
            LoseIndex(scenario, served.Base, database);
            await Load("after", duringCount);
        }
        else
        {
            // While the host runs and clients record.
            var during = Load("during", duringCount);
            if (inPlace)
            {
                // Overwritten mid-load: once a third of these records have their files.
                var failures = Path.Combine(served.Base, "memory", "failures");
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (Directory.GetFiles(failures, "*.md").Length < 20 + duringCount / 3 && DateTime.UtcNow < deadline && !during.IsCompleted)
                    await Task.Delay(10);
            }
            LoseIndex(scenario, served.Base, database);
            await during;
            await Load("after", 10);
        }
        var flush = await elf.RunAsync(["flush", "--base", served.Base, "--timeout", "120"], timeout: TimeSpan.FromSeconds(180));
        var verify = await elf.RunAsync(["verify", "--base", served.Base], timeout: TimeSpan.FromSeconds(180));

        var acknowledged = results.Where(r => r.ExitCode == 0)
            .Select(r => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("record").GetProperty("path").GetString()!).ToList();
        var rows = Tools.Sqlite(database, "SELECT filepath FROM learnings").Select(r => r[0]).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        var pending = Tools.SqliteScalar(database, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL");
        var tip = Tools.Git(served.Base, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var log = GitHistory.Log(served.Base);
        var added = log.SelectMany(c => c.AddedFiles).GroupBy(f => f).ToDictionary(g => g.Key, g => g.Count());
        var keys = log.SelectMany(c => GitHistory.Trailers(c.Message)).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        var lost = acknowledged.Count(p => rows.GetValueOrDefault(p) != 1 || !tip.Contains(p));
        var duplicated = acknowledged.Count(p => added.GetValueOrDefault(p) > 1) + keys.Count(k => k.Value > 1);
        // Every record's key in elf_outbox is named by exactly one commit: none was marked committed by an old trailer.
        var outboxKeys = Tools.Sqlite(database, "SELECT record_key FROM elf_outbox WHERE record_key IS NOT NULL").Select(r => r[0]).ToList();
        var unnamed = outboxKeys.Count(k => keys.GetValueOrDefault(k) != 1);
        output.WriteLine($"{scenario}: {results.Count} records, {acknowledged.Count} acknowledged, {rows.Values.Sum()} rows, {pending} pending, " +
            $"{log.Count} commits, lost = {lost}, duplicated = {duplicated}, outbox keys not in exactly one commit = {unnamed}; flush exit {flush.ExitCode}, verify exit {verify.ExitCode}");

        Assert.Equal(results.Count, acknowledged.Count);
        Assert.True(flush.ExitCode == 0, flush.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
        Assert.Equal(0, pending);
        Assert.Equal(0, unnamed);
        Assert.Equal(acknowledged.Count, rows.Values.Sum());
        Assert.Empty(Tools.Git(served.Base, "status", "--porcelain", "--untracked-files=all", "--", "memory").Trim());
        // Overwritten in place: detected and rebuilt, the very file the host had open (its inode: cp wrote into it) moved
        // aside with what was copied over it. (Compared after the cp instead, it may already be the rebuilt one.)
        if (inPlace)
            Assert.Equal(inodeBefore, Inode(Assert.Single(Directory.GetFiles(Path.GetDirectoryName(database)!, "index.db-overwritten-*"),
                f => !f.EndsWith("-wal", StringComparison.Ordinal) && !f.EndsWith("-shm", StringComparison.Ordinal))));
    }

    /// <summary>
    /// What a person or ELF's own scripts do: remove the files, or put a fresh ELF database (ELF's schema, no rows) in
    /// their place: made beside it, then renamed over it right after the removal.
    /// </summary>
    private static void LoseIndex(string scenario, string repository, string database)
    {
        if (scenario.StartsWith("overwrite", StringComparison.Ordinal) || scenario.StartsWith("garbage", StringComparison.Ordinal))
        {
            OverwriteInPlace(scenario, database);
            return;
        }
        if (scenario.StartsWith("clean", StringComparison.Ordinal))
        {
            // A person's `git clean -fdx`: every untracked and ignored file goes, the index with them.
            var (exit, _, error) = Tools.Run("git", repository, "clean", "-qfdx");
            Assert.True(exit == 0, error);
            return;
        }
        var fresh = database + ".fresh";
        if (scenario.StartsWith("replace", StringComparison.Ordinal))
        {
            var (code, _, stderr) = Tools.Run("sqlite3", Path.GetDirectoryName(database)!, fresh,
                ".read " + Path.Combine(AppContext.BaseDirectory, "Fixtures", "elf-schema.sql"), "DELETE FROM learnings; DELETE FROM heuristics; DELETE FROM metrics;");
            Assert.True(code == 0, stderr);
        }
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(database + suffix);
        if (File.Exists(fresh)) File.Move(fresh, database, overwrite: true);
    }

    /// <summary>
    /// A person's `cp other.db memory/index.db` (or a restore that rewrites the file): the same inode, other bytes. The
    /// other is another memory's index (ELF's schema, its own index_id, a row of its own) or a file that is no database.
    /// </summary>
    private static void OverwriteInPlace(string scenario, string database)
    {
        var other = database + ".other";
        if (scenario.StartsWith("overwrite", StringComparison.Ordinal))
        {
            var (code, _, stderr) = Tools.Run("sqlite3", Path.GetDirectoryName(database)!, other,
                ".read " + Path.Combine(AppContext.BaseDirectory, "Fixtures", "elf-schema.sql"),
                "DELETE FROM learnings; DELETE FROM heuristics; DELETE FROM metrics;",
                "CREATE TABLE IF NOT EXISTS elf_state(name TEXT PRIMARY KEY, value TEXT);",
                "INSERT OR REPLACE INTO elf_state(name, value) VALUES ('index_id', 'another-memory');",
                "INSERT INTO learnings(type, filepath, title) VALUES ('failure', 'failures/another-memory.md', 'another memory');");
            Assert.True(code == 0, stderr);
        }
        else File.WriteAllText(other, string.Concat(Enumerable.Repeat("not a database, a person's notes\n", 500)));
        var (exit, _, error) = Tools.Run("cp", Path.GetDirectoryName(database)!, other, database);
        Assert.True(exit == 0, error);
        File.Delete(other);
    }

    private static string Inode(string path) => Tools.Run("stat", "/", "-c", "%i", path).Stdout.Trim();
}
