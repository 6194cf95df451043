using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Core.Records;
using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Core;

/// <summary>
/// ElfActors on a database that ELF created (Fixtures/elf-schema.sql, applied with the sqlite3 shell): ELF's
/// tables stay exactly as they were, and ELF's own queries find the new records with every column filled.
/// </summary>
public sealed class ElfSchemaCompatibilityTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempMemory _memory = new();

    private void CreateElfDatabase()
    {
        Directory.CreateDirectory(_memory.Paths.MemoryDirectory);
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "elf-schema.sql");
        var (code, _, stderr) = Tools.Run("sqlite3", _memory.BasePath, _memory.DatabasePath, ".read " + fixture);
        Assert.True(code == 0, stderr);
    }

    /// <summary>ELF's schema objects (everything but ElfActors' elf_* tables and SQLite's own).</summary>
    private IReadOnlyList<string> ElfSchema() =>
        Tools.Sqlite(_memory.DatabasePath,
                "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE name NOT LIKE 'elf_%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .Select(r => r[0]).ToList();

    [Fact]
    public async Task An_elf_database_is_used_as_it_is_and_elf_queries_read_the_new_records_fully()
    {
        CreateElfDatabase();
        var before = ElfSchema();

        await using (var host = await ElfTestHost.StartAsync(_memory.Paths))
        {
            async Task<Recorded> Ask(object message) => Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(message, Timeout));
            await Ask(new RecordRequest("f1", new LearningInput("New failure", "compat", "high", "a,b", "first line\nsecond line")));
            await Ask(new RecordRequest("s1", new LearningInput("New success", "compat", null, "c", "it worked") { Type = "success" }));
            await Ask(new RecordRequest("o1", new LearningInput("New observation", "compat", null, "o") { Type = "observation" }));
            await Ask(new RecordRequest("h1", new HeuristicInput("compat", "New rule", "why it holds", "success", "0.95")));
            await Ask(new RecordRequest("h2", new HeuristicInput("compat", "Default rule")));
            await Ask(new RecordRequest("d1", new DecisionInput("New decision", "the context", "chosen", "because", "a or b", "compat", "x.cs", "XTests")));
            await host.Committer.Ask<CommitterProtocol.AllCommitted>(CommitterProtocol.AwaitAllCommitted.Instance, Timeout);
        }

        // Additive only: every object ELF made is there exactly as it was (ELF's missing tables were added, ADR 0020).
        Assert.Empty(before.Except(ElfSchema()));
        Assert.Contains("counter", Tools.Sqlite(_memory.DatabasePath, "SELECT metric_type FROM metrics").Single());

        // ELF's query.py: learnings by domain, newest first. Every column is filled as ELF fills it.
        var learnings = Tools.Sqlite(_memory.DatabasePath,
            "SELECT id, type, filepath, title, summary, tags, domain, severity, created_at, updated_at FROM learnings WHERE domain = 'compat' ORDER BY created_at DESC, id DESC LIMIT 10");
        Assert.Equal(4, learnings.Count);
        Assert.All(learnings, row => Assert.All(row, column => Assert.False(string.IsNullOrEmpty(column))));
        var failure = learnings.Single(r => r[3] == "New failure");
        Assert.Equal(["failure", "memory/failures/", "first line", "a,b", "compat", "4"],
            [failure[1], failure[2][..16], failure[4], failure[5], failure[6], failure[7]]);
        var success = learnings.Single(r => r[3] == "New success");
        Assert.Equal(["success", "3"], [success[1], success[7]]);
        Assert.StartsWith("memory/successes/", success[2]);
        Assert.Equal("Old failure", learnings.Last()[3]); // ELF's own row, older, still there

        // Heuristics by confidence, as query.py reads them.
        var heuristics = Tools.Sqlite(_memory.DatabasePath,
            "SELECT domain, rule, explanation, source_type, confidence, times_validated, times_violated, is_golden, created_at IS NOT NULL, updated_at IS NOT NULL, source_id IS NULL FROM heuristics ORDER BY confidence DESC");
        Assert.Equal(
            [
                ["compat", "New rule", "why it holds", "success", "0.95", "0", "0", "0", "1", "1", "1"],
                ["compat", "Old rule", "written by ELF", "failure", "0.9", "0", "0", "0", "1", "1", "1"],
                ["compat", "Default rule", "", "observation", "0.5", "0", "0", "0", "1", "1", "1"],
            ],
            heuristics);

        var decision = Tools.Sqlite(_memory.DatabasePath,
            "SELECT title, context, options_considered, decision, rationale, domain, files_touched, tests_added, status, superseded_by IS NULL, created_at IS NOT NULL FROM decisions").Single();
        Assert.Equal(["New decision", "the context", "a or b", "chosen", "because", "compat", "x.cs", "XTests", "accepted", "1", "1"], decision);

        // Files in ELF's layouts, committed with ELF's messages (or batched, with a trailer per record).
        var domainFile = File.ReadAllText(Path.Combine(_memory.BasePath, "memory", "heuristics", "compat.md"));
        Assert.StartsWith("# Heuristics: compat\n\nGenerated from failures, successes, and observations in the **compat** domain.\n\n---\n\n", domainFile);
        Assert.Contains("## H-2: New rule\n\n**Confidence**: 0.95\n**Source**: success\n**Created**: ", domainFile);
        var decisionFile = Directory.GetFiles(Path.Combine(_memory.BasePath, "memory", "decisions")).Single();
        Assert.StartsWith("# ADR-1: New decision\n", File.ReadAllText(decisionFile));
        var keys = GitHistory.RecordKeys(_memory.BasePath);
        var trailers = GitHistory.Log(_memory.BasePath).SelectMany(c => GitHistory.Trailers(c.Message)).ToHashSet();
        foreach (var record in new[] { ("heuristics", 2L), ("heuristics", 3L), ("decisions", 1L) })
            Assert.Contains(keys, k => k.Value == record && trailers.Contains(k.Key));
        Assert.Empty(Tools.Git(_memory.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
    }

    [Fact]
    public void Elf_tables_missing_from_an_older_memory_are_created_with_elf_columns_in_elfs_order()
    {
        using (ElfActors.Core.Storage.MemoryIndex.Open(_memory.Paths, ElfActors.Actors.ElfSettings.Default.Index)) { }
        var columns = Tools.Sqlite(_memory.DatabasePath, "SELECT name FROM pragma_table_info('heuristics')").Select(r => r[0]);
        Assert.Equal(["id", "domain", "rule", "explanation", "source_type", "source_id", "confidence", "times_validated", "times_violated", "is_golden", "created_at", "updated_at"], columns);
        var decisions = Tools.Sqlite(_memory.DatabasePath, "SELECT name FROM pragma_table_info('decisions')").Select(r => r[0]);
        Assert.Equal(["id", "title", "context", "options_considered", "decision", "rationale", "files_touched", "tests_added", "status", "domain", "superseded_by", "created_at", "updated_at"], decisions);
    }

    public void Dispose() => _memory.Dispose();
}
