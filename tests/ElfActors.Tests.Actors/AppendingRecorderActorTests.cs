using System.Text.RegularExpressions;
using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Core.Records;
using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>One writer per heuristics domain file: concurrent heuristics all land, whole, in few commits.</summary>
public sealed class AppendingRecorderActorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_heuristics_for_two_domains_land_whole_in_their_files_in_few_commits()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var probe = host.Kit(output).CreateTestProbe();

        const int perDomain = 300;
        for (var i = 0; i < perDomain; i++)
            foreach (var domain in new[] { "alpha", "beta" })
                host.Recording.Tell(new RecordRequest($"{domain}-{i}", new HeuristicInput(domain, $"Rule {i}", $"Why {i}", "failure", "0.6")), probe.Ref);
        var replies = probe.ReceiveN(2 * perDomain, TimeSpan.FromSeconds(120)).ToList();
        Assert.All(replies, reply => Assert.IsType<Recorded>(reply));
        await host.FlushAsync();

        foreach (var domain in new[] { "alpha", "beta" })
        {
            var text = File.ReadAllText(Path.Combine(memory.BasePath, "memory", "heuristics", domain + ".md"));
            var entries = Regex.Matches(text, @"^## H-(\d+): Rule (\d+)\n\n\*\*Confidence\*\*: 0\.6\n\*\*Source\*\*: failure\n\*\*Created\*\*: [\d-]{10}\n\nWhy \2\n\n---\n\n", RegexOptions.Multiline);
            Assert.Equal(perDomain, entries.Count);
            Assert.Equal(perDomain, entries.Select(m => m.Groups[2].Value).Distinct().Count());
            Assert.Equal(perDomain, Tools.SqliteScalar(memory.DatabasePath, $"SELECT COUNT(*) FROM heuristics WHERE domain = '{domain}'"));
            Assert.Equal(text, Tools.Git(memory.BasePath, "show", $"HEAD:memory/heuristics/{domain}.md"));
        }
        var log = GitHistory.Log(memory.BasePath);
        Assert.Equal(2 * perDomain, log.Sum(c => c.HeuristicTrailers.Count));
        output.WriteLine($"{2 * perDomain} heuristics in {log.Count} commits");
        Assert.True(log.Count < 2 * perDomain / 10, $"{log.Count} commits for {2 * perDomain} heuristics");
        Assert.Empty(Tools.Git(memory.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
    }

    /// <summary>
    /// A commit that takes a domain file takes it whole, so each entry the file holds must be named by that commit's
    /// Elf-Entry trailers: another machine that fetches this commit alone knows an entry by its trailer, and an entry
    /// whose trailer came in a later commit got a key of its own there (docs/adr/0066; seen in SyncEndToEndTests).
    /// Here the entries beyond the batch's size are what the file holds beyond the batch: three heuristics recorded
    /// while commits are held (a bisect in progress), then committed one record a batch.
    /// </summary>
    [Fact]
    public async Task A_commit_of_a_domain_file_names_every_entry_it_adds_even_past_the_batch_size()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths, "elf.committer.max-batch-size = 1");
        var timeout = TimeSpan.FromSeconds(30);
        Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(new RecordRequest("first", new HeuristicInput("shared", "Rule 0")), timeout));
        await host.FlushAsync();
        var bisect = Path.Combine(memory.BasePath, ".git", "BISECT_LOG");
        File.WriteAllText(bisect, "");
        for (var i = 1; i <= 3; i++)
            Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(new RecordRequest($"held-{i}", new HeuristicInput("shared", $"Rule {i}")), timeout));
        Assert.Equal(3, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));
        File.Delete(bisect);
        host.Committer.Tell(CommitterProtocol.RecordsWaiting.Instance);
        await host.FlushAsync();

        // Read with git: each commit's added entry headings against its Elf-Entry trailers.
        var commits = Tools.Git(memory.BasePath, "rev-list", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var unnamed = new List<string>();
        foreach (var commit in commits)
        {
            var shown = Tools.Git(memory.BasePath, "show", "--format=%B", commit, "--", "memory/heuristics/shared.md");
            var added = Regex.Matches(shown, @"^\+## H-\d+: (.*)$", RegexOptions.Multiline).Count;
            var named = Regex.Matches(shown, "^Elf-Entry: ", RegexOptions.Multiline).Count;
            if (added != named) unnamed.Add($"{commit[..12]} adds {added} entries and names {named}");
        }
        Assert.True(unnamed.Count == 0, string.Join("; ", unnamed));
        Assert.Equal(4, Regex.Matches(Tools.Git(memory.BasePath, "log", "--format=%B"), "^Elf-Entry: ", RegexOptions.Multiline).Count);
        Assert.Empty(Tools.Git(memory.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
    }

    [Fact]
    public async Task A_domain_file_that_cannot_be_written_fails_the_batch_and_takes_its_rows_back()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        // A folder where the domain file should be: the replace-by-rename fails.
        Directory.CreateDirectory(Path.Combine(memory.BasePath, "memory", "heuristics", "blocked.md"));

        var reply = await host.Recording.Ask<RecordReply>(new RecordRequest("x", new HeuristicInput("blocked", "Rule")), TimeSpan.FromSeconds(30));

        Assert.IsType<Failed>(reply);
        await host.FlushAsync();
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM heuristics"));
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox"));
        var ok = await host.Recording.Ask<RecordReply>(new RecordRequest("y", new HeuristicInput("open", "Rule")), TimeSpan.FromSeconds(30));
        Assert.IsType<Recorded>(ok);
    }

    [Fact]
    public async Task A_retry_returns_the_first_heuristic_and_never_writes_into_another_domains_file()
    {
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        var timeout = TimeSpan.FromSeconds(30);

        var first = Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(new RecordRequest("same", new HeuristicInput("one", "Rule")), timeout));
        var retry = Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(new RecordRequest("same", new HeuristicInput("one", "Rule")), timeout));
        var elsewhere = Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(new RecordRequest("same", new HeuristicInput("two", "Other")), timeout));
        await host.FlushAsync();

        Assert.Equal((first.RecordId, "memory/heuristics/one.md", false, true), (retry.RecordId, retry.RelativePath, first.Duplicate, retry.Duplicate));
        Assert.Equal((first.RecordId, true), (elsewhere.RecordId, elsewhere.Duplicate));
        Assert.False(File.Exists(Path.Combine(memory.BasePath, "memory", "heuristics", "two.md")));
        Assert.Single(Regex.Matches(File.ReadAllText(Path.Combine(memory.BasePath, "memory", "heuristics", "one.md")), "^## H-", RegexOptions.Multiline));
        Assert.Equal(1, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM heuristics"));
    }
}
