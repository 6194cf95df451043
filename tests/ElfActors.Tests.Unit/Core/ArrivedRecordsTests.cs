using ElfActors.Contracts;
using ElfActors.Core.Audit;
using ElfActors.Core.Git;
using ElfActors.Core.Import;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// The index follows sync for heuristics and decisions (docs/adr/0036): two machines each number their first heuristic
/// H-1 and their first decision ADR-1 in one memory; after the integration each row is found by its entry's text or its
/// file, keyed as its writer keyed it, and verify matches entries to rows that way. Rows and trailers are read with
/// sqlite3 and git directly.
/// </summary>
public sealed class ArrivedRecordsTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 12, 4);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "elf-arrived-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _remote;

    public ArrivedRecordsTests()
    {
        _remote = Path.Combine(_root, "remote.git");
        Tools.GitBareRemote(_remote, new Dictionary<string, string> { [".gitignore"] = "memory/index.db*\n" });
    }

    private MemoryPaths Machine(string name) => new(Tools.GitClone(_remote, Path.Combine(_root, name), "Machine " + name, name + "@x"));

    /// <summary>Records a heuristic and a decision as the host would, and commits them with the committer's message; returns their keys.</summary>
    private static (string Heuristic, string Decision) Record(MemoryPaths memory, string who)
    {
        using var index = MemoryIndex.Open(memory, ElfActors.Actors.ElfSettings.Default.Index);
        Assert.Empty(HeuristicValidator.Validate(new HeuristicInput("shared", "rule from " + who, "why " + who, null, null), out var heuristic));
        Assert.Empty(DecisionValidator.Validate(new DecisionInput("Decided on " + who, "ctx", "d", "r"), out var decision));
        index.InsertRecords([new(who + "-h", new HeuristicDraft(heuristic!, Day)), new(who + "-d", new DecisionDraft(decision!, Day))], DateTimeOffset.UtcNow);
        var pending = index.ReadPending(10);
        foreach (var entry in pending)
        {
            var file = memory.Absolute(entry.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            if (entry.SharesFile) File.WriteAllText(file, HeuristicMarkdown.Append(File.Exists(file) ? File.ReadAllText(file) : null, "shared", [entry.Content]));
            else File.WriteAllText(file, entry.Content);
            Tools.Git(memory.BasePath, "add", entry.RelativePath);
        }
        Tools.Git(memory.BasePath, "commit", "-qm", CommitMessage.For(pending));
        index.MarkEntriesCommitted(pending.Select(p => p.OutboxId).ToList(), Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim(), DateTimeOffset.UtcNow);
        return (pending.Single(p => p.SharesFile).RecordKey!, pending.Single(p => !p.SharesFile).RecordKey!);
    }

    [Fact]
    public void Heuristics_and_decisions_that_arrive_get_rows_keyed_as_their_writer_keyed_them_and_verify_matches_them_by_entry()
    {
        var a = Machine("a");
        var b = Machine("b");
        var fromB = Record(b, "b");
        Tools.Git(b.BasePath, "push", "-q", "origin", "HEAD:main");
        var fromA = Record(a, "a");
        // Both machines numbered theirs 1: the headings collide, the entries and files do not.
        Assert.Contains("## H-1: rule from a", File.ReadAllText(a.Absolute("memory/heuristics/shared.md")));
        Assert.Contains("## H-1: rule from b", Tools.Git(b.BasePath, "show", "HEAD:memory/heuristics/shared.md"));

        Tools.Git(a.BasePath, "fetch", "-q", "origin");
        var upstream = Tools.Git(a.BasePath, "rev-parse", "origin/main").Trim();
        var outcome = SyncIntegration.Integrate(a, "refs/heads/main", upstream, "origin/main");
        // The replayed commit keeps both kinds of trailer.
        Assert.Contains($"Elf-Entry: {fromA.Heuristic} ", Tools.Git(a.BasePath, "log", "-1", "--format=%B"));
        using (var index = MemoryIndex.Open(a, ElfActors.Actors.ElfSettings.Default.Index))
        {
            Assert.Equal(2, ArrivedRecords.Import(index, a, outcome, DateTimeOffset.UtcNow));
            Assert.Equal(0, ArrivedRecords.Import(index, a, outcome, DateTimeOffset.UtcNow)); // the same integration again adds nothing
        }

        var database = a.DatabasePath;
        Assert.Equal(["rule from a", "rule from b"], Tools.Sqlite(database, "SELECT rule FROM heuristics ORDER BY id").Select(r => r[0]));
        Assert.Equal(["Decided on a", "Decided on b"], Tools.Sqlite(database, "SELECT title FROM decisions ORDER BY id").Select(r => r[0]));
        // B's records keep B's keys here, committed in the integrated tip, never pending.
        var tip = Tools.Git(a.BasePath, "rev-parse", "HEAD").Trim();
        Assert.Equal([tip], Tools.Sqlite(database, $"SELECT commit_id FROM elf_outbox WHERE record_key = '{fromB.Heuristic}'").Select(r => r[0]));
        Assert.Equal(["2"], Tools.Sqlite(database, $"SELECT row_id FROM elf_outbox WHERE record_key = '{fromB.Decision}'").Select(r => r[0]));
        Assert.Equal(0, Tools.SqliteScalar(database, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        Assert.Equal(4, Tools.SqliteScalar(database, "SELECT COUNT(DISTINCT record_key) FROM elf_outbox"));

        var verify = MemoryVerifier.Verify(a);
        Assert.True(verify.Consistent, string.Join("\n", verify.RowsWithoutFile.Concat(verify.FilesWithoutRow).Concat(verify.RowsNotInGit).Concat(verify.Unreachable)));
        Assert.Equal(4, verify.Rows);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
