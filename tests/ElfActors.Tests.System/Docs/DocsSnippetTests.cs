using System.Diagnostics;
using System.Text.RegularExpressions;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.Docs;

/// <summary>
/// The README and the pages in docs/ say what a user types; this runs it. Every fenced block marked <c>sh</c> in
/// README.md and docs/*.md (not docs/adr/, which records decisions as they were) is run with bash, block after block,
/// in a fresh HOME with the published <c>elf</c> first on the PATH and the repository as the working folder.
/// Markers on a block's first line:
/// <list type="bullet">
/// <item><c># docs-test: skip — reason</c>: not run (builds, benchmarks, the test suite, long-running servers); the reason is required.</item>
/// <item><c># docs-test: needs an ELF install</c>: the page's HOME first gets an ELF install laid out as ELF's installer does, from
/// the ELF snapshot beside the repository (../shared/elf); without it those blocks are not run and the reason is printed.</item>
/// </list>
/// Output and other illustrative text goes in <c>text</c> blocks. A fence in any language not listed in
/// <see cref="NotShell"/> fails the test, so a shell command cannot hide from it.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed partial class DocsSnippetTests(PublishedElf elf, ITestOutputHelper output)
{
    private const string SkipMarker = "# docs-test: skip";
    private const string ElfInstallMarker = "# docs-test: needs an ELF install";
    private static readonly string[] Shell = ["sh"];
    private static readonly string[] NotShell = ["text", "csharp", "hocon", "json"];

    /// <summary>Pages that other work adds (issue 20's docs list); their links may dangle until it is merged.</summary>
    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string>();
        foreach (var page in PagePaths()) pages.Add(page);
        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_shell_snippet_on_the_page_runs_against_the_published_elf(string page)
    {
        var blocks = Blocks(page);
        var shell = blocks.Where(b => Shell.Contains(b.Language)).ToList();
        foreach (var block in blocks.Where(b => !Shell.Contains(b.Language)))
            Assert.True(NotShell.Contains(block.Language),
                $"{page}:{block.Line}: a fenced block marked '{block.Language}': mark shell commands `sh` (run by this test) and anything else `text`, `csharp`, `hocon` or `json`");
        foreach (var block in shell.Where(b => b.FirstLine.StartsWith(SkipMarker, StringComparison.Ordinal)))
            Assert.True(block.FirstLine.Length > SkipMarker.Length + 4, $"{page}:{block.Line}: `{SkipMarker}` needs a reason after it");
        var toRun = shell.Where(b => !b.FirstLine.StartsWith(SkipMarker, StringComparison.Ordinal)).ToList();
        if (toRun.Count == 0)
        {
            output.WriteLine($"{page}: no shell snippet to run ({shell.Count} marked skip)");
            return;
        }

        var home = Directory.CreateTempSubdirectory("elf-docs-home-").FullName;
        try
        {
            // A user's machine has a git identity; a fresh HOME would not.
            File.WriteAllText(Path.Combine(home, ".gitconfig"), "[user]\n\tname = Docs Reader\n\temail = reader@example.invalid\n");
            var elfInstall = toRun.Any(b => b.FirstLine.StartsWith(ElfInstallMarker, StringComparison.Ordinal));
            if (elfInstall && LayOutElfInstall(home) is { } why)
            {
                output.WriteLine($"{page}: blocks that need an ELF install are not run: {why}");
                toRun = toRun.Where(b => !b.FirstLine.StartsWith(ElfInstallMarker, StringComparison.Ordinal)).ToList();
            }
            foreach (var block in toRun)
            {
                var result = await RunBashAsync(block.Text, home);
                output.WriteLine($"{page}:{block.Line}: exit {result.ExitCode}\n{result.Stdout}{result.Stderr}");
                Assert.True(result.ExitCode == 0, $"{page}:{block.Line} failed:\n{block.Text}\n{result}");
            }
        }
        finally
        {
            Tools.StopHostsUnder(home);
            TryDelete(home);
        }
    }

    [Fact]
    public void The_readme_is_at_most_10_KB()
    {
        var size = new FileInfo(Path.Combine(Repository, "README.md")).Length;
        Assert.True(size <= 10 * 1024, $"README.md is {size} bytes; the front page stays at most 10 KB: move detail to docs/");
    }

    [Fact]
    public void Every_relative_link_in_the_readme_and_docs_resolves()
    {
        var broken = new List<string>();
        var pages = PagePaths().Concat(Directory.EnumerateFiles(Path.Combine(Repository, "docs", "adr"), "*.md")
            .Select(p => Path.GetRelativePath(Repository, p)));
        foreach (var page in pages)
        {
            var text = File.ReadAllText(Path.Combine(Repository, page));
            foreach (Match link in LinkPattern().Matches(text))
            {
                var target = link.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith('#') || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                var path = target.Split('#')[0];
                var resolved = Path.GetFullPath(Path.Combine(Repository, Path.GetDirectoryName(page)!, path));
                var relative = Path.GetRelativePath(Repository, resolved);
                if (File.Exists(resolved) || Directory.Exists(resolved)) continue;
                broken.Add($"{page}: ({target})");
            }
        }
        Assert.True(broken.Count == 0, "links that point nowhere:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void The_parser_sees_the_readmes_daily_use_commands_and_its_skip_markers()
    {
        // Guards the test itself: a parser that found no block would pass every page.
        var blocks = Blocks("README.md").Where(b => b.Language == "sh").ToList();
        Assert.Contains(blocks, b => b.Text.Contains("elf record-failure", StringComparison.Ordinal) && !b.FirstLine.StartsWith(SkipMarker, StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Text.Contains("dotnet test ElfActors.sln", StringComparison.Ordinal) && b.FirstLine.StartsWith(SkipMarker, StringComparison.Ordinal));
    }

    private static List<MarkdownBlock> Blocks(string page) => MarkdownBlock.Read(Path.Combine(Repository, page));

    private async Task<ProcessResult> RunBashAsync(string script, string home)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("set -euo pipefail\n" + script);
        start.Environment["HOME"] = home;
        start.Environment["PATH"] = elf.Directory + ":" + Environment.GetEnvironmentVariable("PATH");
        foreach (var variable in new[] { "ELF_BASE_PATH", "ELF_NODE", "ELF_BIN", "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME" })
            start.Environment.Remove(variable);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("a docs snippet did not finish in 3 minutes:\n" + script);
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// ~/.claude/emergent-learning as ELF's install.sh leaves it, for what a switching page does: ELF's record scripts
    /// and an index.db made from ELF's own schema, in a git repository that tracks it (ELF committed it). Null when done,
    /// else why not.
    /// </summary>
    private static string? LayOutElfInstall(string home)
    {
        var snapshot = Path.GetFullPath(Path.Combine(Repository, "..", "shared", "elf"));
        if (!Directory.Exists(Path.Combine(snapshot, "scripts"))) return $"the ELF snapshot {snapshot} is absent";
        var root = Path.Combine(home, ".claude", "emergent-learning");
        Directory.CreateDirectory(Path.Combine(root, "scripts"));
        Directory.CreateDirectory(Path.Combine(root, "memory"));
        foreach (var script in new[] { "record-failure.sh", "record-heuristic.sh", "record-decision.sh" })
            File.Copy(Path.Combine(snapshot, "scripts", script), Path.Combine(root, "scripts", script));
        var sqlite = Tools.Run("sqlite3", root, Path.Combine(root, "memory", "index.db"), ".read " + Path.Combine(snapshot, "templates", "init_db.sql"));
        if (sqlite.ExitCode != 0) throw new InvalidOperationException("ELF's init_db.sql failed: " + sqlite.Stderr);
        Tools.Git(root, "init", "-q");
        Tools.Git(root, "add", "-A");
        Tools.GitCommitAsPerson(root, "ELF install");
        return null;
    }

    private static void TryDelete(string directory) => Tools.DeleteTree(directory);

    private static IEnumerable<string> PagePaths() =>
        new[] { "README.md" }.Concat(Directory.EnumerateFiles(Path.Combine(Repository, "docs"), "*.md")
            .Select(p => Path.GetRelativePath(Repository, p)).Order(StringComparer.Ordinal));

    private static string Repository { get; } = PublishedElf.FindRepository();

    // [text](target), not images' sizes or reference-style links; the target has no spaces.
    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex LinkPattern();
}
