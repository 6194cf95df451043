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
/// sqlite3 and git directly. After <c>elf reindex</c> (or a host's rebuild of a missing index) every row keeps its key
/// (docs/adr/0045), and an entry no commit keyed gets the same derived key on every clone.
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

    /// <summary>What <see cref="Record"/> recorded: each record's key (the learning's only when one was asked for).</summary>
    private sealed record Recorded(string Heuristic, string Decision, string? Learning);

    /// <summary>
    /// Records a heuristic and a decision (and a learning) as the host would, and commits them with the committer's
    /// message (without its Elf-Entry trailers: a commit made before they existed); returns their keys.
    /// </summary>
    private static Recorded Record(MemoryPaths memory, string who, bool entryTrailers = true, bool learning = false)
    {
        using var index = MemoryIndex.Open(memory, ElfActors.Actors.ElfSettings.Default.Index);
        Assert.Empty(HeuristicValidator.Validate(new HeuristicInput("shared", "rule from " + who, "why " + who, null, null), out var heuristic));
        Assert.Empty(DecisionValidator.Validate(new DecisionInput("Decided on " + who, "ctx", "d", "r"), out var decision));
        List<RecordInsert> inserts = [new(who + "-h", new HeuristicDraft(heuristic!, Day)), new(who + "-d", new DecisionDraft(decision!, Day))];
        if (learning)
        {
            Assert.Empty(LearningValidator.Validate(new LearningInput("Failed on " + who, "sync", "high", "x", "summary " + who), out var failure));
            inserts.Add(new(who + "-l", new LearningDraft(failure!, Day)));
        }
        index.InsertRecords(inserts, DateTimeOffset.UtcNow);
        var pending = index.ReadPending(10);
        foreach (var entry in pending)
        {
            var file = memory.Absolute(entry.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            if (entry.SharesFile) File.WriteAllText(file, HeuristicMarkdown.Append(File.Exists(file) ? File.ReadAllText(file) : null, "shared", [entry.Content]));
            else File.WriteAllText(file, entry.Content);
            Tools.Git(memory.BasePath, "add", entry.RelativePath);
        }
        var message = CommitMessage.For(pending);
        if (!entryTrailers) message = string.Join('\n', message.Split('\n').Where(l => !l.StartsWith(CommitMessage.EntryTrailerKey + ":", StringComparison.Ordinal)));
        Tools.Git(memory.BasePath, "commit", "-qm", message);
        index.MarkEntriesCommitted(pending.Select(p => p.OutboxId).ToList(), Tools.Git(memory.BasePath, "rev-parse", "HEAD").Trim(), DateTimeOffset.UtcNow);
        return new Recorded(pending.Single(p => p.SharesFile).RecordKey!, pending.Single(p => p.Kind == OutboxKinds.Decision).RecordKey!,
            pending.SingleOrDefault(p => p.RowTable == OutboxTables.Learnings)?.RecordKey);
    }

    /// <summary>Fetches the remote into a machine, integrates it as sync does and gives what arrived rows.</summary>
    private static int Pull(MemoryPaths memory)
    {
        Tools.Git(memory.BasePath, "fetch", "-q", "origin");
        var outcome = SyncIntegration.Integrate(memory, "refs/heads/main", Tools.Git(memory.BasePath, "rev-parse", "origin/main").Trim(), "origin/main");
        using var index = MemoryIndex.Open(memory, ElfActors.Actors.ElfSettings.Default.Index);
        return ArrivedRecords.Import(index, memory, outcome, DateTimeOffset.UtcNow);
    }

    /// <summary>Each row of a table with its outbox entry's record key (null without one), read with sqlite3: (title or rule, id, key).</summary>
    private static List<(string Title, string Id, string Key)> KeyedRows(MemoryPaths memory, string table, string title) =>
        Tools.Sqlite(memory.DatabasePath, $"SELECT t.{title}, t.id, COALESCE(o.record_key, '') FROM {table} t LEFT JOIN elf_outbox o ON o.row_table = '{table}' AND o.row_id = t.id ORDER BY t.{title}")
            .Select(r => (r[0], r[1], r[2])).ToList();

    private static void AssertConsistent(MemoryPaths memory, int rows)
    {
        var verify = MemoryVerifier.Verify(memory);
        Assert.True(verify.Consistent, string.Join("\n", verify.RowsWithoutFile.Concat(verify.FilesWithoutRow).Concat(verify.RowsNotInGit)
            .Concat(verify.InGitWithoutRow).Concat(verify.InSeveralCommits).Concat(verify.Unreachable)));
        Assert.Equal(rows, verify.Rows);
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

        AssertConsistent(a, 4);
    }

    [Fact]
    public void After_a_reindex_every_row_keeps_the_key_its_writer_gave_it_and_equal_heuristic_numbers_are_not_ambiguous()
    {
        var a = Machine("a");
        var b = Machine("b");
        var fromB = Record(b, "b", learning: true);
        Tools.Git(b.BasePath, "push", "-q", "origin", "HEAD:main");
        var fromA = Record(a, "a", learning: true);
        Assert.Equal(3, Pull(a));
        Assert.Contains("## H-1: rule from a", File.ReadAllText(a.Absolute("memory/heuristics/shared.md")));
        Assert.Contains("## H-1: rule from b", File.ReadAllText(a.Absolute("memory/heuristics/shared.md")));

        // elf reindex on A: the index moved aside and rebuilt from the files and history.
        var summary = Reindexer.Run(a, ElfActors.Actors.ElfSettings.Default.Index, replaceExisting: true, TimeProvider.System);
        Assert.NotNull(summary.MovedAside);
        Assert.Equal((2, 2, 2), (summary.Learnings, summary.Heuristics, summary.Decisions));
        Assert.Contains(summary.Notes, n => n.StartsWith("H-1 appears more than once", StringComparison.Ordinal));

        // Every row has the key its writing machine gave it (and so does every trailer on the branch).
        var heuristics = KeyedRows(a, "heuristics", "rule");
        Assert.Equal([("rule from a", fromA.Heuristic), ("rule from b", fromB.Heuristic)], heuristics.Select(r => (r.Title, r.Key)));
        Assert.Equal(["1", "2"], heuristics.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Equal([fromA.Decision, fromB.Decision], KeyedRows(a, "decisions", "title").Select(r => r.Key));
        Assert.Equal([fromA.Learning, fromB.Learning], KeyedRows(a, "learnings", "title").Select(r => r.Key));
        var trailers = Tools.Git(a.BasePath, "log", "--format=%(trailers:key=Elf-Record,valueonly)");
        foreach (var key in new[] { fromA, fromB }.SelectMany(r => new[] { r.Heuristic, r.Decision, r.Learning! })) Assert.Contains(key, trailers);
        // Committed where the branch holds them: nothing pending, nothing for the committer to commit again.
        Assert.Equal(0, Tools.SqliteScalar(a.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        var tip = Tools.Git(a.BasePath, "rev-parse", "HEAD").Trim();
        Assert.Equal([tip], Tools.Sqlite(a.DatabasePath, $"SELECT commit_id FROM elf_outbox WHERE record_key = '{fromA.Heuristic}'").Select(r => r[0]));
        // The entry each row owns by its text: the heading's number (1 for both) is not what matches them.
        var hashes = Tools.Sqlite(a.DatabasePath, "SELECT o.content_hash FROM heuristics h JOIN elf_outbox o ON o.row_table = 'heuristics' AND o.row_id = h.id ORDER BY h.rule")
            .Select(r => r[0]).ToList();
        var entryFile = Path.Combine(_root, "entry.txt");
        var blobs = HeuristicMarkdown.Parse(Tools.Git(a.BasePath, "show", "HEAD:memory/heuristics/shared.md")).OrderBy(e => e.Rule, StringComparer.Ordinal)
            .Select(e =>
            {
                File.WriteAllText(entryFile, e.Text);
                return Tools.Git(a.BasePath, "hash-object", entryFile).Trim();
            }).ToList();
        Assert.Equal(blobs, hashes);
        AssertConsistent(a, 6);

        // verify's duplicate check knows the reindexed rows by key: a second commit naming A's learning is reported.
        var learningA = KeyedRows(a, "learnings", "title").Single(r => r.Key == fromA.Learning).Id;
        Tools.Git(a.BasePath, "commit", "-q", "--allow-empty", "-m", $"again\n\nElf-Record: {fromA.Learning} memory/failures/x.md");
        Assert.Equal([$"record {learningA}: in 2 commits"], MemoryVerifier.Verify(a).InSeveralCommits);
    }

    [Fact]
    public void A_heuristic_committed_without_an_entry_trailer_gets_the_same_key_on_every_clone_by_arrival_reindex_or_rebuild()
    {
        var a = Machine("a");
        var b = Machine("b");
        var fromB = Record(b, "b", entryTrailers: false);
        Tools.Git(b.BasePath, "push", "-q", "origin", "HEAD:main");
        Assert.DoesNotContain("Elf-Entry", Tools.Git(b.BasePath, "log", "-1", "--format=%B"));
        Record(a, "a");
        Assert.Equal(2, Pull(a));
        Tools.Git(a.BasePath, "push", "-q", "origin", "HEAD:main");

        // Arrival on A: B's entry gets a key derived from itself (B's own key was never published with it).
        var arrived = KeyedRows(a, "heuristics", "rule").Single(r => r.Title == "rule from b").Key;
        Assert.True(RecordKeys.IsKey(arrived));
        Assert.NotEqual(fromB.Heuristic, arrived);
        // B's decision was keyed by its Elf-Record trailer: its writer's key.
        Assert.Contains(fromB.Decision, KeyedRows(a, "decisions", "title").Select(r => r.Key));

        // A reindex on A gives it the same key again; a fresh clone's host rebuilds its index and derives the same one.
        Reindexer.Run(a, ElfActors.Actors.ElfSettings.Default.Index, replaceExisting: true, TimeProvider.System);
        Assert.Equal(arrived, KeyedRows(a, "heuristics", "rule").Single(r => r.Title == "rule from b").Key);
        AssertConsistent(a, 4);
        var c = Machine("c");
        Assert.NotNull(IndexRebuild.IfMissing(c, ElfActors.Actors.ElfSettings.Default.Index, TimeProvider.System));
        Assert.Equal(KeyedRows(a, "heuristics", "rule").Select(r => r.Key), KeyedRows(c, "heuristics", "rule").Select(r => r.Key));
        Assert.Equal(KeyedRows(a, "decisions", "title").Select(r => r.Key), KeyedRows(c, "decisions", "title").Select(r => r.Key));
        AssertConsistent(c, 4);
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
