using System.Diagnostics;
using System.Text.RegularExpressions;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// ELF's other writers through the published `elf`: heuristics (one writer per domain file), decisions, the
/// learnings types; checked with sqlite3, the file itself and git, never through ElfActors' code.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed partial class DropInEndToEndTests(PublishedElf elf)
{
    // One entry exactly as ELF's record-heuristic.sh appends it.
    [GeneratedRegex(@"\A## H-(\d+): Rule (\d+)\n\n\*\*Confidence\*\*: 0\.7\n\*\*Source\*\*: failure\n\*\*Created\*\*: \d{4}-\d\d-\d\d\n\nBecause (\d+)\n\n---\n\n\z")]
    private static partial Regex IntactEntry();

    [Fact]
    public async Task Two_hundred_concurrent_heuristics_for_one_domain_give_200_rows_and_200_intact_entries_all_committed()
    {
        await using var served = new ServedMemory(elf);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => elf.RunAsync(
            ["record-heuristic", "--base", served.Base, "--domain", "d", "--rule", $"Rule {i}", "--explanation", $"Because {i}",
             "--source", "failure", "--confidence", "0.7"])));

        Assert.All(results, r => Assert.True(r.ExitCode == 0 && r.Stdout.Contains("Heuristic recorded successfully!"), r.ToString()));
        var flush = await elf.RunAsync("flush", "--base", served.Base);
        Assert.True(flush.ExitCode == 0, flush.ToString());

        var database = served.Memory.DatabasePath;
        Assert.Equal(200, Tools.SqliteScalar(database, "SELECT COUNT(*) FROM heuristics WHERE domain = 'd'"));
        var rows = Tools.Sqlite(database, "SELECT id, rule, explanation FROM heuristics WHERE domain = 'd'")
            .ToDictionary(r => r[0], r => (Rule: r[1], Explanation: r[2]));

        // 200 intact entries: the header once, then every entry whole, none lost, none interleaved.
        var text = File.ReadAllText(Path.Combine(served.Base, "memory", "heuristics", "d.md"));
        const string header = "# Heuristics: d\n\nGenerated from failures, successes, and observations in the **d** domain.\n\n---\n\n";
        Assert.StartsWith(header, text);
        var entries = Regex.Split(text[header.Length..], @"(?=^## H-)", RegexOptions.Multiline).Where(e => e.Length > 0).ToList();
        Assert.Equal(200, entries.Count);
        var numbers = new HashSet<string>();
        foreach (var entry in entries)
        {
            var match = IntactEntry().Match(entry);
            Assert.True(match.Success, "not an intact entry:\n" + entry);
            Assert.Equal(match.Groups[2].Value, match.Groups[3].Value);
            Assert.True(rows.TryGetValue(match.Groups[1].Value, out var row), $"H-{match.Groups[1].Value} has no row");
            Assert.Equal("Rule " + match.Groups[2].Value, row.Rule);
            numbers.Add(match.Groups[2].Value);
        }
        Assert.Equal(200, numbers.Count);

        // All committed: the file in git is the file on disk, each heuristic's trailer in exactly one commit, in few commits.
        Assert.Equal(text, Tools.Git(served.Base, "show", "HEAD:memory/heuristics/d.md"));
        var log = GitHistory.Log(served.Base);
        var commitsWithHeuristics = log.Count(c => c.HeuristicTrailers.Count > 0);
        var trailers = log.SelectMany(c => c.HeuristicTrailers).Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(200, trailers.Count);
        Assert.Equal(rows.Keys.Order(), trailers.Order());
        Assert.True(commitsWithHeuristics < 200, $"{commitsWithHeuristics} commits for 200 heuristics");
        Assert.Empty(Tools.Git(served.Base, "status", "--porcelain", "--untracked-files=all").Trim());
        Assert.Equal(0, Tools.SqliteScalar(database, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
    }

    [Fact]
    public async Task Heuristic_flags_fall_back_to_elf_environment_variables_and_bad_input_writes_nothing()
    {
        await using var served = new ServedMemory(elf);
        var environment = new Dictionary<string, string>
        {
            ["HEURISTIC_DOMAIN"] = "Env Domain", ["HEURISTIC_RULE"] = "From env", ["HEURISTIC_EXPLANATION"] = "e",
            ["HEURISTIC_SOURCE"] = "success", ["HEURISTIC_CONFIDENCE"] = "high",
        };
        var ok = await elf.RunAsync(["record-heuristic", "--base", served.Base], environment);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("Appended to: memory/heuristics/env-domain.md", ok.Stdout);
        Assert.Equal(["env-domain", "From env", "e", "success", "0.85"],
            Tools.Sqlite(served.Memory.DatabasePath, "SELECT domain, rule, explanation, source_type, confidence FROM heuristics").Single());

        var bad = await elf.RunAsync("record-heuristic", "--base", served.Base, "--domain", "d", "--rule", "r", "--confidence", "1.5");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("confidence", bad.Stderr);
        var missing = await elf.RunAsync("record-heuristic", "--base", served.Base, "--domain", "d");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal(1, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM heuristics"));
        Assert.False(File.Exists(Path.Combine(served.Base, "memory", "heuristics", "d.md")));
    }

    [Fact]
    public async Task Decisions_and_the_other_learnings_types_land_in_elf_layouts_and_are_committed()
    {
        await using var served = new ServedMemory(elf);
        var decision = await elf.RunAsync("record-decision", "--base", served.Base, "--title", "Use actors", "--context", "c",
            "--decision", "d", "--rationale", "r", "--domain", "arch", "--files", "a.cs,b.cs");
        Assert.True(decision.ExitCode == 0, decision.ToString());
        Assert.Contains("Decision recorded successfully!", decision.Stdout);
        // Committed alone, so that its commit carries ELF's own message for one decision (asserted below): records that
        // arrive while a cold host starts are acknowledged before its committer runs and share its first commit (ADR 0053).
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        foreach (var type in new[] { "success", "observation", "experiment" })
        {
            var learning = await elf.RunAsync("record", "--type", type, "--base", served.Base, "--title", $"A {type}", "--domain", "d");
            Assert.True(learning.ExitCode == 0, learning.ToString());
        }
        Assert.Equal(2, (await elf.RunAsync("record", "--type", "bogus", "--base", served.Base, "--title", "t", "--domain", "d")).ExitCode);
        Assert.Equal(2, (await elf.RunAsync("record-decision", "--base", served.Base, "--title", "t")).ExitCode);
        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);

        Assert.Equal(["success|memory/successes/", "observation|memory/observations/", "experiment|memory/experiments/"],
            Tools.Sqlite(served.Memory.DatabasePath, "SELECT type, filepath FROM learnings ORDER BY id").Select(r => r[0] + "|" + r[1][..r[1].LastIndexOf('/')] + "/"));
        var files = Tools.Git(served.Base, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(files, f => Regex.IsMatch(f, @"^memory/decisions/\d{4}-\d\d-\d\d-use-actors\.md$"));
        Assert.Equal(4, files.Length);
        Assert.Contains("decision: Use actors\n\nDomain: arch | ADR-1", Tools.Git(served.Base, "log", "--format=%B"));
        Assert.Empty(Tools.Git(served.Base, "status", "--porcelain", "--untracked-files=all").Trim());
    }

    [Fact]
    public async Task Help_lists_the_drop_in_commands_and_their_elf_flags()
    {
        var help = await elf.RunAsync("--help");
        foreach (var command in new[] { "record-heuristic", "record-decision", "record ", "import", "reindex" }) Assert.Contains(command, help.Stdout);
        var heuristic = await elf.RunAsync("record-heuristic", "--help");
        foreach (var text in new[] { "--confidence", "HEURISTIC_DOMAIN", "HEURISTIC_CONFIDENCE" }) Assert.Contains(text, heuristic.Stdout);
        Assert.Contains("DECISION_RATIONALE", (await elf.RunAsync("record-decision", "--help")).Stdout);
        Assert.Contains("--batch-size", (await elf.RunAsync("import", "--help")).Stdout);
        Assert.Contains("--force", (await elf.RunAsync("reindex", "--help")).Stdout);
    }

    private static string ShimsFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "ElfActors.sln"))) return Path.Combine(directory.FullName, "scripts", "elf-shims");
        throw new InvalidOperationException("cannot find the repository");
    }

    /// <summary>Runs a shim with bash, with the published elf first on the PATH (as an ELF install that switched).</summary>
    private ProcessResult RunShim(string shim, IDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(ShimsFolder(), shim));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PATH"] = elf.Directory + ":" + Environment.GetEnvironmentVariable("PATH");
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close(); // no terminal, nothing on stdin
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), "the shim did not finish");
        return new ProcessResult(process.ExitCode, stdout, stderr.Result);
    }

    [Fact]
    public async Task The_shims_take_the_old_scripts_arguments_record_through_elf_print_elfs_lines_and_exit_0()
    {
        await using var served = new ServedMemory(elf);
        var memory = new Dictionary<string, string> { ["ELF_BASE_PATH"] = served.Base };

        var failure = RunShim("record-failure.sh", memory, "--title", "Shim failure", "--domain", "shims", "--severity", "high",
            "--tags", "a,b", "--summary", "what happened", "--unknown-flag", "skipped");
        Assert.True(failure.ExitCode == 0, failure.ToString());
        // ELF's lines (ELF prints the file's absolute path): see Conformance/ShimSideBySideTests for the comparison with ELF.
        Assert.Matches(@"\A=== Record Failure \(non-interactive\) ===\nCreated: " + Regex.Escape(served.Base) + @"/memory/failures/\d{8}_shim-failure\.md\nDatabase record created \(ID: 1\)\n\nFailure recorded successfully!\nEdit the full details at: .*\n\z", failure.Stdout);

        var fromEnvironment = RunShim("record-failure.sh", new Dictionary<string, string>(memory)
        {
            ["FAILURE_TITLE"] = "From env", ["FAILURE_DOMAIN"] = "shims", ["FAILURE_SEVERITY"] = "2",
        });
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());

        var heuristic = RunShim("record-heuristic.sh", new Dictionary<string, string>(memory) { ["HEURISTIC_RULE"] = "Rule from env" },
            "--domain", "shims", "--explanation", "why", "--source", "failure", "--confidence", "0.8");
        Assert.True(heuristic.ExitCode == 0, heuristic.ToString());
        Assert.Contains($"Database record created (ID: 1)\nAppended to: {served.Base}/memory/heuristics/shims.md\n\nHeuristic recorded successfully!\n", heuristic.Stdout);

        var decision = RunShim("record-decision.sh", memory, "--title", "Shim decision", "--context", "c", "--decision", "d", "--rationale", "r");
        Assert.True(decision.ExitCode == 0, decision.ToString());

        Assert.Equal(0, (await elf.RunAsync("flush", "--base", served.Base)).ExitCode);
        Assert.Equal(["failure|Shim failure|shims|4|a,b", "failure|From env|shims|2|"],
            Tools.Sqlite(served.Memory.DatabasePath, "SELECT type, title, domain, severity, tags FROM learnings ORDER BY id").Select(r => string.Join('|', r)));
        Assert.Equal(["shims|Rule from env|why|failure|0.8"],
            Tools.Sqlite(served.Memory.DatabasePath, "SELECT domain, rule, explanation, source_type, confidence FROM heuristics").Select(r => string.Join('|', r)));
        var subjects = Tools.Git(served.Base, "log", "--format=%B"); // ELF's subject, or a batch's line for it
        Assert.Contains("heuristic: Rule from env", subjects);
        Assert.Contains("decision: Shim decision", subjects);

        // No domain: ELF asks on stdin, which is empty here: exit 1, as ELF's script, nothing written.
        var bad = RunShim("record-failure.sh", memory, "--title", "No domain");
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal(2, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
    }
}
