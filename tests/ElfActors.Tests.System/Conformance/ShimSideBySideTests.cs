using System.Text.RegularExpressions;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Conformance;

/// <summary>
/// ELF's record scripts (the snapshot's, run in an ELF install's layout) and the shims (in place of them, recording
/// through the published elf) called the same ways ELF's hooks, docs and agents call them, on two memories: the same
/// exit codes, the same lines printed, the same database values and the same file content, modulo the date, the
/// memory's folder and what docs/elf-compatibility.md lists.
/// </summary>
[Collection(PublishedElfCollection.Name)]
public sealed partial class ShimSideBySideTests(PublishedElf elf) : IAsyncLifetime
{
    private readonly ElfHome _elfSide = new();
    private readonly ElfHome _shimSide = new();

    public sealed record Call(string Script, string[] Arguments, Dictionary<string, string>? Environment = null, string Stdin = "");

    /// <summary>How ELF's hooks, docs, self-test and agents call the scripts (flags, env vars, stdin answers, bare).</summary>
    public static readonly Call[] Calls =
    [
        new("record-failure.sh", ["--title", "Lock timeout", "--domain", "git", "--severity", "high", "--tags", "ci,git", "--summary", "the lock was held"]),
        new("record-failure.sh", [], new() { ["FAILURE_TITLE"] = "From env", ["FAILURE_DOMAIN"] = "ci", ["FAILURE_SEVERITY"] = "2", ["FAILURE_TAGS"] = "env", ["FAILURE_SUMMARY"] = "set by a hook" }),
        // Multi-line summaries: ELF's file keeps them as given, its row keeps `echo -e` of a sanitised first line.
        new("record-failure.sh", ["--title", "Severity nine", "--domain", "git", "--severity", "9", "--summary", "first  line\nsecond\tline\nthird"]),
        new("record-failure.sh", ["--title", "Severity High", "--domain", "git", "--severity", "High", "--summary", "-n"]),
        new("record-failure.sh", ["--title", "Severity critical", "--domain", "git", "--severity", "critical", "--unknown", "skipped"]),
        new("record-failure.sh", [], new() { ["FAILURE_TITLE"] = "Self test", ["FAILURE_DOMAIN"] = "testing", ["FAILURE_SUMMARY"] = "first line\\tand a \\\\ \\nsecond line" }),
        new("record-failure.sh", [], Stdin: "Asked on stdin\ndebugging\n4\nq,a\nline one\nline two\n\nignored\n"),
        new("record-failure.sh", ["--title", "No summary", "--domain", "git"]),
        new("record-heuristic.sh", ["--domain", "git", "--rule", "Always retry a held lock", "--explanation", "it clears", "--source", "failure", "--confidence", "0.8"]),
        new("record-heuristic.sh", [], new() { ["HEURISTIC_DOMAIN"] = "ci", ["HEURISTIC_RULE"] = "Rule from env", ["HEURISTIC_CONFIDENCE"] = "high" }),
        new("record-heuristic.sh", ["--domain", "git", "--rule", "Out of range", "--confidence", "1.5"]),
        new("record-heuristic.sh", ["--domain", "git", "--rule", "No confidence"]),
        new("record-heuristic.sh", ["--domain", "Git Ops", "--rule", "Domain with spaces", "--confidence", "low"]),
        new("record-heuristic.sh", ["--domain", "git", "--rule", "Medium one", "--confidence", "medium", "--source", "success"]),
        new("record-heuristic.sh", []),
        new("record-decision.sh", ["--title", "Use one committer", "--context", "locks", "--decision", "one actor", "--rationale", "no contention", "--options", "a or b", "--domain", "Arch Ops", "--files", "a.cs", "--tests", "ATests"]),
        new("record-decision.sh", [], new() { ["DECISION_TITLE"] = "From env", ["DECISION_CONTEXT"] = "c", ["DECISION_DECISION"] = "d", ["DECISION_RATIONALE"] = "r" }),
        new("record-decision.sh", ["--title", "Only a title"]),
        new("record-decision.sh", []),
    ];

    public Task InitializeAsync()
    {
        if (!ElfSnapshot.Present) return Task.CompletedTask;
        // ELF's side: install.sh's layout (init_db.sql, then query.py's tables as its first session makes them).
        _elfSide.Install("scripts");
        _elfSide.Install("query");
        Directory.CreateDirectory(_elfSide.Paths.MemoryDirectory);
        var (code, _, stderr) = Tools.Run("sqlite3", _elfSide.BasePath, _elfSide.DatabasePath, ".read " + ElfSnapshot.File("templates", "init_db.sql"));
        Assert.True(code == 0, stderr);
        var query = _elfSide.Python(Path.Combine(_elfSide.BasePath, "query", "query.py"), null, "--stats");
        Assert.True(query.ExitCode == 0, query.ToString());
        // The shims' side: a memory elf made, the shims in place of ELF's scripts.
        Directory.CreateDirectory(Path.Combine(_shimSide.BasePath, "memory"));
        Directory.CreateDirectory(Path.Combine(_shimSide.BasePath, "scripts"));
        foreach (var shim in Directory.EnumerateFiles(ShimsFolder())) File.Copy(shim, Path.Combine(_shimSide.BasePath, "scripts", Path.GetFileName(shim)));
        return Task.CompletedTask;
    }

    private static string ShimsFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "ElfActors.sln"))) return Path.Combine(directory.FullName, "scripts", "elf-shims");
        throw new InvalidOperationException("repository not found");
    }

    private ProcessResult Run(ElfHome side, Call call)
    {
        var environment = new Dictionary<string, string>(call.Environment ?? []) { ["ELF_BIN"] = elf.Elf };
        return side.Bash(Path.Combine(side.BasePath, "scripts", call.Script), side.BasePath, environment, call.Stdin, call.Arguments);
    }

    private static string Normalise(string text, string basePath) =>
        IsoDate().Replace(CompactDate().Replace(text.Replace(basePath, "BASE"), "YYYYMMDD"), "YYYY-MM-DD");

    [GeneratedRegex(@"\b20\d{6}\b")]
    private static partial Regex CompactDate();

    [GeneratedRegex(@"\b20\d\d-\d\d-\d\d\b")]
    private static partial Regex IsoDate();

    [ElfFact]
    public async Task The_shims_store_print_write_and_exit_as_elfs_scripts_do()
    {
        var differences = new List<string>();
        for (var i = 0; i < Calls.Length; i++)
        {
            var call = Calls[i];
            var theirs = Run(_elfSide, call);
            var ours = Run(_shimSide, call);
            var name = $"#{i} {call.Script} {string.Join(' ', call.Arguments)} {string.Join(' ', (call.Environment ?? []).Select(e => e.Key + "=" + e.Value))}";
            if (theirs.ExitCode != ours.ExitCode) differences.Add($"{name}: exit {theirs.ExitCode} (ELF) vs {ours.ExitCode} (shim)\n{ours.Stderr}");
            var elfLines = Normalise(theirs.Stdout, _elfSide.BasePath);
            var shimLines = Normalise(ours.Stdout, _shimSide.BasePath);
            if (elfLines != shimLines) differences.Add($"{name}: stdout differs\n--- ELF\n{elfLines}\n--- shim\n{shimLines}");
        }
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", _shimSide.BasePath)).ExitCode);

        string[] queries =
        [
            "SELECT type, title, hex(summary), tags, domain, severity, filepath FROM learnings ORDER BY id",
            "SELECT domain, rule, explanation, source_type, confidence FROM heuristics ORDER BY id",
            "SELECT title, context, options_considered, decision, rationale, domain, files_touched, tests_added, status FROM decisions ORDER BY id",
        ];
        foreach (var sql in queries)
        {
            var elfRows = Tools.Sqlite(_elfSide.DatabasePath, sql).Select(r => Normalise(string.Join('|', r), _elfSide.BasePath)).ToList();
            var shimRows = Tools.Sqlite(_shimSide.DatabasePath, sql).Select(r => Normalise(string.Join('|', r), _shimSide.BasePath)).ToList();
            if (!elfRows.SequenceEqual(shimRows)) differences.Add($"{sql}\n--- ELF\n{string.Join('\n', elfRows)}\n--- shim\n{string.Join('\n', shimRows)}");
        }
        foreach (var folder in new[] { "failures", "heuristics", "decisions" })
        {
            var elfFiles = Files(_elfSide, folder);
            var shimFiles = Files(_shimSide, folder);
            if (!elfFiles.Keys.SequenceEqual(shimFiles.Keys)) differences.Add($"{folder}: files {string.Join(", ", elfFiles.Keys)} (ELF) vs {string.Join(", ", shimFiles.Keys)} (shim)");
            foreach (var (file, content) in elfFiles)
                if (shimFiles.TryGetValue(file, out var other) && other != content) differences.Add($"{folder}/{file} differs\n--- ELF\n{content}\n--- shim\n{other}");
        }
        Assert.True(differences.Count == 0, string.Join("\n\n", differences));
        // A row that keeps less of its summary than its file (ELF's way) is no inconsistency.
        var verify = await elf.RunAsync("verify", "--base", _shimSide.BasePath);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    private static SortedDictionary<string, string> Files(ElfHome side, string folder)
    {
        var directory = Path.Combine(side.BasePath, "memory", folder);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(directory)) return files;
        foreach (var file in Directory.EnumerateFiles(directory, "*.md"))
            files[Normalise(Path.GetFileName(file), side.BasePath)] = Normalise(File.ReadAllText(file), side.BasePath);
        return files;
    }

    public Task DisposeAsync()
    {
        _elfSide.Dispose();
        _shimSide.Dispose();
        return Task.CompletedTask;
    }
}
