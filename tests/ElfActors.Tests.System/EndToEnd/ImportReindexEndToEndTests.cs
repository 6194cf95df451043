using System.Globalization;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>`elf import` of a folder in ELF's layout and `elf reindex`, through the published binaries, checked with sqlite3 and git.</summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ImportReindexEndToEndTests(PublishedElf elf)
{
    // The fixture's own rows add one heuristic (domain compat, no file) to the 9 written here.
    private const int Failures = 12, HeuristicEntries = 9, Heuristics = HeuristicEntries + 1, Decisions = 4;

    /// <summary>An ELF memory as ELF's scripts leave it: index.db from ELF's schema, rows, and their markdown files.</summary>
    private static TempMemory ElfLayoutFolder()
    {
        var source = new TempMemory();
        var memory = Path.Combine(source.BasePath, "memory");
        foreach (var folder in new[] { "failures", "heuristics", "decisions" }) Directory.CreateDirectory(Path.Combine(memory, folder));
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "elf-schema.sql");
        Assert.Equal(0, Tools.Run("sqlite3", source.BasePath, source.DatabasePath, ".read " + fixture).ExitCode);
        File.WriteAllText(Path.Combine(memory, "failures", "20250101_old-failure.md"),
            "# Old failure\n\n**Domain**: compat\n**Severity**: 4\n**Tags**: elf\n**Date**: 2025-01-01\n\n## Summary\n\nwritten by ELF\nthe file has more\n");
        var sql = new System.Text.StringBuilder();
        for (var i = 2; i <= Failures; i++)
        {
            var file = $"memory/failures/2025010{i % 9 + 1}_failure-{i}.md";
            // Every third one exists only as a file (ELF's DB write failed), the others as row and file.
            if (i % 3 != 0)
                sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO learnings(type, filepath, title, summary, tags, domain, severity, created_at) VALUES ('failure', '{file}', 'Failure {i}', 'summary {i}', 't', 'import', {i % 5 + 1}, '2025-01-0{i % 9 + 1} 08:00:00');\n");
            File.WriteAllText(Path.Combine(source.BasePath, file),
                $"# Failure {i}\n\n**Domain**: import\n**Severity**: {i % 5 + 1}\n**Tags**: t\n**Date**: 2025-01-0{i % 9 + 1}\n\n## Summary\n\nsummary {i}\n");
        }
        var entries = new System.Text.StringBuilder("# Heuristics: import\n\nGenerated from failures, successes, and observations in the **import** domain.\n\n---\n\n");
        for (var i = 1; i <= HeuristicEntries; i++)
        {
            if (i % 2 == 0) sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO heuristics(domain, rule, explanation, source_type, confidence, times_validated) VALUES ('import', 'Rule {i}', 'why {i}', 'failure', 0.{i}, {i});\n");
            entries.Append(CultureInfo.InvariantCulture, $"## H-{100 + i}: Rule {i}\n\n**Confidence**: 0.{i}\n**Source**: failure\n**Created**: 2025-02-01\n\nwhy {i}\n\n---\n\n");
        }
        File.WriteAllText(Path.Combine(memory, "heuristics", "import.md"), entries.ToString());
        for (var i = 1; i <= Decisions; i++)
        {
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO decisions(title, context, decision, rationale, domain) VALUES ('Decision {i}', 'context {i}', 'chosen {i}', 'because {i}', 'arch');\n");
            File.WriteAllText(Path.Combine(memory, "decisions", $"2025-03-0{i}-decision-{i}.md"),
                $"# ADR-{i}: Decision {i}\n\n**Date**: 2025-03-0{i}\n**Domain**: arch\n**Status**: Accepted\n\n---\n\n## Context\n\ncontext {i}\n\n## Decision\n\nchosen {i}\n\n## Rationale\n\nbecause {i}\n\n---\n\n**ID**: ADR-{i}\n**Created**: 2025-03-0{i}\n");
        }
        var (code, _, stderr) = Tools.Run("sqlite3", source.BasePath, source.DatabasePath, sql.ToString());
        Assert.True(code == 0, stderr);
        return source;
    }

    private static long Count(TempMemory memory, string table) => Tools.SqliteScalar(memory.DatabasePath, $"SELECT COUNT(*) FROM {table}");

    private static int CommitCount(string repository) => int.Parse(Tools.Git(repository, "rev-list", "--count", "HEAD").Trim(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Importing_an_elf_folder_twice_stores_each_record_once_and_reindex_rebuilds_the_same_rows()
    {
        using var source = ElfLayoutFolder();
        await using var served = new ServedMemory(elf);
        var target = served.Memory;

        var first = await elf.RunAsync("import", source.BasePath, "--base", target.BasePath, "--batch-size", "10");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"Imported {Failures + Heuristics + Decisions} of {Failures + Heuristics + Decisions} records", first.Stdout);
        Assert.Equal(Failures, Count(target, "learnings"));
        Assert.Equal(Heuristics, Count(target, "heuristics"));
        Assert.Equal(Decisions, Count(target, "decisions"));
        var commits = CommitCount(target.BasePath);
        Assert.Equal(3, commits); // 26 records in batches of 10
        Assert.Equal(0, Tools.SqliteScalar(target.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        Assert.Equal(["written by ELF", "elf", "4", "2025-01-01"],
            Tools.Sqlite(target.DatabasePath, "SELECT summary, tags, severity, date(created_at) FROM learnings WHERE title = 'Old failure'").Single());
        Assert.Contains("the file has more", File.ReadAllText(Path.Combine(target.BasePath, "memory", "failures", "20250101_old-failure.md")));
        Assert.Equal(["Rule 4", "4"], Tools.Sqlite(target.DatabasePath, "SELECT rule, times_validated FROM heuristics WHERE rule = 'Rule 4'").Single());
        Assert.Empty(Tools.Git(target.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
        var tracked = Tools.Git(target.BasePath, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Failures + 2 + Decisions, tracked.Length); // one file per failure and decision, one per heuristics domain
        var headings = File.ReadAllText(Path.Combine(target.BasePath, "memory", "heuristics", "import.md")).Split("\n## H-").Length - 1;
        Assert.Equal(HeuristicEntries, headings);

        var second = await elf.RunAsync("import", source.BasePath, "--base", target.BasePath, "--json");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"\"alreadyPresent\":{Failures + Heuristics + Decisions}", second.Stdout);
        Assert.Equal(Failures, Count(target, "learnings"));
        Assert.Equal(Heuristics, Count(target, "heuristics"));
        Assert.Equal(Decisions, Count(target, "decisions"));
        Assert.Equal(commits, CommitCount(target.BasePath));

        // Live records on top, through a host; then the host stops (reindex, like import, needs the memory to itself).
        for (var i = 0; i < 3; i++)
            Assert.Equal(0, (await elf.RunAsync("record-failure", "--base", target.BasePath, "--title", "Live", "--domain", "live", "--summary", $"live {i}")).ExitCode);
        Assert.Equal(0, (await elf.RunAsync("record-heuristic", "--base", target.BasePath, "--domain", "import", "--rule", "Live rule")).ExitCode);
        var refused = await elf.RunAsync("reindex", "--base", target.BasePath);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("elf stop", refused.Stderr);
        Assert.Equal(0, (await elf.RunAsync("stop", "--base", target.BasePath)).ExitCode);

        using var copy = new TempMemory();
        Assert.Equal(0, Tools.Run("cp", "/", "-a", target.BasePath + "/.", copy.BasePath).ExitCode);
        foreach (var file in Directory.EnumerateFiles(copy.Paths.MemoryDirectory, "index.db*")) File.Delete(file);
        Assert.Equal(2, (await elf.RunAsync("import", "/nonexistent-elf-folder", "--base", copy.BasePath)).ExitCode);

        var reindex = await elf.RunAsync("reindex", "--base", copy.BasePath);
        Assert.True(reindex.ExitCode == 0, reindex.ToString());
        foreach (var (table, columns) in new[]
                 {
                     ("learnings", "id, type, filepath, title, summary, tags, domain, severity"),
                     ("heuristics", "id, domain, rule, explanation, source_type, confidence"),
                     ("decisions", "id, title, context, options_considered, decision, rationale, domain, files_touched, tests_added, status"),
                 })
        {
            var query = $"SELECT {columns} FROM {table} ORDER BY id";
            Assert.Equal(Tools.Sqlite(target.DatabasePath, query), Tools.Sqlite(copy.DatabasePath, query));
        }
        // Records recorded live get their time back too, from their commit: to within the commit's delay.
        const string live = "SELECT id, strftime('%s', created_at) FROM learnings WHERE domain = 'live' ORDER BY id";
        var before = Tools.Sqlite(target.DatabasePath, live);
        var after = Tools.Sqlite(copy.DatabasePath, live);
        Assert.Equal(before.Select(r => r[0]), after.Select(r => r[0]));
        Assert.All(before.Zip(after), pair => Assert.InRange(long.Parse(pair.Second[1]) - long.Parse(pair.First[1]), 0, 10));
        Assert.Equal(2, (await elf.RunAsync("reindex", "--base", copy.BasePath)).ExitCode); // index.db exists now: needs --force
    }
    /// <summary>Every file of a memory but git's folder, the host lock's and the index's, with its content; the index as sqlite3 dumps it; the branch's tip.</summary>
    private static string Snapshot(TempMemory memory)
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in Directory.EnumerateFiles(memory.BasePath, "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(memory.BasePath, f))
                     .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal) && !f.StartsWith("memory/.elf/", StringComparison.Ordinal) && !f.StartsWith("memory/index.db", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
            text.Append(file).Append('\n').Append(File.ReadAllText(Path.Combine(memory.BasePath, file))).Append('\n');
        var (code, dump, stderr) = Tools.Run("sqlite3", memory.BasePath, "-readonly", memory.DatabasePath, ".dump");
        Assert.True(code == 0, stderr);
        return text.Append(dump).Append(Tools.Git(memory.BasePath, "rev-parse", "HEAD")).ToString();
    }

    [Fact]
    public async Task An_import_of_a_bad_folder_is_refused_with_a_message_and_leaves_the_memory_as_it_was()
    {
        // A memory with records in it (an import done), then four bad folders: each refused before anything is written.
        using var source = ElfLayoutFolder();
        using var target = new TempMemory();
        var done = await elf.RunAsync("import", source.BasePath, "--base", target.BasePath);
        Assert.True(done.ExitCode == 0, done.ToString());
        using var noMemory = new TempMemory();
        using var corrupt = ElfLayoutFolder();
        File.WriteAllBytes(corrupt.DatabasePath, System.Text.Encoding.ASCII.GetBytes(new string('x', 4096))); // its files read, then its index is not a database
        var before = Snapshot(target);

        foreach (var (folder, exitCode, message) in new[]
                 {
                     ("/nonexistent-elf-folder", 2, "/nonexistent-elf-folder does not exist"),
                     (noMemory.BasePath, 2, "it has no memory/ folder"),
                     (target.BasePath, 2, "this memory itself"),
                     (corrupt.BasePath, 1, "not a database"),
                 })
        {
            var refused = await elf.RunAsync("import", folder, "--base", target.BasePath);
            Assert.True(refused.ExitCode == exitCode, refused.ToString());
            Assert.StartsWith("elf import: ", refused.Stderr);
            Assert.Contains(message, refused.Stderr);
            Assert.Empty(refused.Stdout);
            Assert.Equal(before, Snapshot(target));
            Assert.False(File.Exists(target.DatabasePath + "-import-scratch"));
            Assert.Empty(Tools.Git(target.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
            Assert.Equal(0, Tools.Run("git", target.BasePath, "fsck", "--strict").ExitCode);
        }
    }
}
