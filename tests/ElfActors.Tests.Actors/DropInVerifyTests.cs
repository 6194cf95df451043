using Akka.Actor;
using ElfActors.Core.Audit;
using ElfActors.Core.Records;
using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Core;

/// <summary>`elf verify` covers heuristics, decisions and every learnings type, not only failures.</summary>
public sealed class DropInVerifyTests
{
    [Fact]
    public async Task Verify_checks_heuristic_entries_adr_files_and_other_learnings_against_their_rows_and_git()
    {
        using var memory = new TempMemory();
        await using (var host = await ElfTestHost.StartAsync(memory.Paths))
        {
            foreach (var message in new object[]
                     {
                         new RecordRequest("h1", new HeuristicInput("d", "One")),
                         new RecordRequest("h2", new HeuristicInput("d", "Two")),
                         new RecordRequest("a1", new DecisionInput("Choice", "c", "d", "r")),
                         new RecordRequest("s1", new LearningInput("Win", "d") { Type = "success" }),
                     })
                Assert.IsType<Recorded>(await host.Recording.Ask<RecordReply>(message, TimeSpan.FromSeconds(30)));
            await host.FlushAsync();
        }

        var clean = MemoryVerifier.Verify(memory.Paths);
        Assert.True(clean.Consistent, string.Join("\n", clean.RowsWithoutFile.Concat(clean.FilesWithoutRow).Concat(clean.RowsNotInGit)));
        Assert.Equal(4, clean.Rows);

        // Take H-2 out of its file, delete the ADR file, leave the success file uncommitted-changed: verify names each.
        var heuristics = Path.Combine(memory.BasePath, "memory", "heuristics", "d.md");
        var text = File.ReadAllText(heuristics);
        File.WriteAllText(heuristics, text[..text.IndexOf("## H-2:", StringComparison.Ordinal)]);
        File.Delete(Directory.GetFiles(Path.Combine(memory.BasePath, "memory", "decisions")).Single());
        File.Delete(Directory.GetFiles(Path.Combine(memory.BasePath, "memory", "successes")).Single());

        var broken = MemoryVerifier.Verify(memory.Paths);
        Assert.False(broken.Consistent);
        Assert.Contains(broken.RowsWithoutFile, line => line.StartsWith("heuristic H-2: memory/heuristics/d.md", StringComparison.Ordinal));
        Assert.Contains(broken.RowsWithoutFile, line => line.StartsWith("decision ADR-1", StringComparison.Ordinal));
        Assert.Contains(broken.RowsWithoutFile, line => line.Contains("memory/successes/", StringComparison.Ordinal));
        Assert.DoesNotContain(broken.RowsWithoutFile, line => line.Contains("H-1", StringComparison.Ordinal));
    }
}
