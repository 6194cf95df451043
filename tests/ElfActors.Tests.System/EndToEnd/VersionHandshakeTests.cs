using System.Text.Json;
using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// Client and host exchange versions (docs/adr/0024). "An older host" is the published elf-host told to report an older
/// release (ELF_REPORTED_VERSION), so that the test needs no second build; the checks are on real processes, and the
/// memory is read with sqlite3, the folder and git.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class VersionHandshakeTests(PublishedElf elf)
{
    private static readonly Dictionary<string, string> Older = new() { [ElfVersion.OverrideVariable] = "0.0.1" };

    private Task<ProcessResult> Record(string basePath, string title, IDictionary<string, string>? environment = null) =>
        elf.RunAsync(["record-failure", "--base", basePath, "--title", title, "--domain", "versions", "--json"], environment, null);

    private static Recorded Parse(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var record = json.RootElement.GetProperty("record");
        return new Recorded(record.GetProperty("id").GetInt64(), record.GetProperty("path").GetString()!, record.GetProperty("duplicate").GetBoolean());
    }

    private async Task<string> HostVersionAsync(string basePath)
    {
        var status = await elf.RunAsync("status", "--base", basePath, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using var json = JsonDocument.Parse(status.Stdout);
        return json.RootElement.GetProperty("hostStatus").GetProperty("version").GetString()!;
    }

    [Fact]
    public async Task Elf_version_prints_the_release_it_was_built_as()
    {
        var result = await elf.RunAsync("--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        // The same release as this test's build; the +commit part is the commit the published elf was built at.
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\+[0-9a-f]{7,40}$", result.Stdout.Trim());
        Assert.Equal(0, ElfVersion.Compare(ElfVersion.Current, result.Stdout.Trim()));
    }

    [Fact]
    public async Task A_newer_client_drains_an_older_host_and_replaces_it_and_nothing_is_lost()
    {
        await using var served = new ServedMemory(elf);
        using var oldHost = elf.StartServe(served.Base, Older);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await elf.RunAsync("status", "--base", served.Base)).ExitCode != 0)
            Assert.True(DateTime.UtcNow < deadline, "the older host did not start serving");
        Assert.Equal("0.0.1", await HostVersionAsync(served.Base));

        // The older release's clients record through it: acknowledged, some perhaps not yet committed.
        var older = (await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Record(served.Base, $"Older {i}", Older)))).Select(Parse).ToList();

        var newer = await Record(served.Base, "Newer");

        var records = older.Append(Parse(newer)).ToList();
        Assert.Contains("older than this elf", newer.Stderr);
        Assert.True(oldHost.WaitForExit(TimeSpan.FromSeconds(60)), "the older host did not exit");
        Assert.Equal(0, oldHost.ExitCode);
        Assert.Equal(0, ElfVersion.Compare(ElfVersion.Current, await HostVersionAsync(served.Base)));
        Assert.Equal(1, PublishedElf.HostProcesses(served.Base));
        var flush = await elf.RunAsync("flush", "--base", served.Base);
        Assert.True(flush.ExitCode == 0, flush.ToString());
        Assert.Equal(31, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(31, Directory.EnumerateFiles(served.Memory.FailuresDirectory).Count());
        MemoryAssert.EveryRecordLandedExactlyOnce(served.Memory, records);
        Assert.Equal(0, Tools.Run("git", served.Base, "fsck", "--strict").ExitCode);
    }

    [Fact]
    public async Task An_older_client_leaves_a_newer_host_alone_writes_nothing_and_says_what_to_do()
    {
        await using var served = new ServedMemory(elf);
        Parse(await Record(served.Base, "Current"));

        var older = await Record(served.Base, "From an older elf", Older);

        Assert.Equal(1, older.ExitCode);
        Assert.Contains("newer than this elf (0.0.1)", older.Stderr + older.Stdout);
        Assert.Contains("elf stop --base", older.Stderr + older.Stdout);
        Assert.Equal(0, ElfVersion.Compare(ElfVersion.Current, await HostVersionAsync(served.Base)));
        Assert.Equal(1, Tools.SqliteScalar(served.Memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Single(Directory.EnumerateFiles(served.Memory.FailuresDirectory));
    }
}
