using System.Diagnostics;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// The record file pool (memory/.elf/record-files/, docs/adr/0080) of the published host against hostile set-ups
/// (docs/adr/0083): a careless umask, the folder squatted before the host starts. Modes, owners and contents read with
/// stat(1), ls(1) and git, not through ElfActors.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RecordFilePoolEndToEndTests(PublishedElf elf, ITestOutputHelper output)
{
    private const int DefaultPoolSize = 16; // elf.recorder.file-pool-size in hocon/elf.hocon

    [Fact]
    public async Task Started_under_umask_000_the_pool_folder_is_0700_and_its_files_and_the_records_made_of_them_0600()
    {
        await using var runtime = new PrivateRuntime(elf);
        for (var i = 0; i < 3; i++)
        {
            var result = await runtime.RunUnderUmaskAsync("000", "record-failure", "--base", runtime.Base, "--title", $"Umask zero {i}", "--domain", "pool");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        var pool = Path.Combine(runtime.Base, "memory", ".elf", "record-files");
        await WaitUntilAsync(() => PoolFiles(pool).Length == DefaultPoolSize, TimeSpan.FromSeconds(30)); // refilled

        Assert.Equal("700 directory", Stat(pool));
        Assert.Equal("700 directory", Stat(Path.GetDirectoryName(pool)!)); // memory/.elf/: made by `elf` before the host
        Assert.Equal("700 directory", Stat(Path.Combine(runtime.Base, "memory")));
        Assert.All(PoolFiles(pool), file => Assert.Equal("600 regular empty file", Stat(file)));
        var records = Directory.GetFiles(Path.Combine(runtime.Base, "memory", "failures"));
        Assert.Equal(3, records.Length);
        Assert.All(records, file => Assert.Equal("600 regular file", Stat(file)));
        output.WriteLine($"{pool}: {Stat(pool)}; {PoolFiles(pool).Length} pool files; records {string.Join(", ", records.Select(Stat))}");
    }

    [Theory]
    [InlineData("symlink")]
    [InlineData("file")]
    [InlineData("another user's folder")]
    public async Task A_squatted_pool_folder_is_named_in_the_host_log_left_alone_and_every_record_lands(string squatter)
    {
        if (squatter == "another user's folder" && !RootFactAttribute.IsRoot)
        {
            output.WriteLine("skipped: a folder of another user's needs root to make (chown)");
            return;
        }
        await using var runtime = new PrivateRuntime(elf);
        var state = Path.Combine(runtime.Base, "memory", ".elf");
        Directory.CreateDirectory(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pool = Path.Combine(state, "record-files");
        // Outside the memory's repository: the place a link might lead to.
        var elsewhere = Path.Combine(Path.GetTempPath(), "elf-elsewhere-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(elsewhere);
        try
        {
            await Squatted(runtime, squatter, pool, elsewhere);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    private async Task Squatted(PrivateRuntime runtime, string squatter, string pool, string elsewhere)
    {
        var state = Path.GetDirectoryName(pool)!;
        await File.WriteAllTextAsync(Path.Combine(elsewhere, "record-1-1"), "someone's\n"); // a pool file's name
        switch (squatter)
        {
            case "symlink":
                File.CreateSymbolicLink(pool, elsewhere);
                break;
            case "file":
                await File.WriteAllTextAsync(pool, "squatted\n");
                break;
            default:
                Directory.CreateDirectory(pool);
                await File.WriteAllTextAsync(Path.Combine(pool, "record-1-1"), "someone's\n");
                Assert.Equal(0, Tools.Run("chown", "/", "-R", "65534:65534", pool).ExitCode);
                break;
        }
        // Each place itself (kind, mode, owner, size) and everything in it, recursively.
        string Listing() => Tools.Run("stat", "/", "-c", "%n %F %a %u %s", pool, elsewhere).Stdout + Tools.Run("ls", "/", "-lAnR", pool, elsewhere).Stdout;
        var before = Listing();

        for (var i = 0; i < 3; i++)
        {
            var result = await runtime.RecordAsync($"Squatted pool {i}");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        Assert.Equal(0, (await runtime.RunAsync("flush", "--base", runtime.Base)).ExitCode);
        Assert.Equal(0, (await runtime.RunAsync("stop", "--base", runtime.Base)).ExitCode);

        // Nothing in the squatted place, or behind the link, was made, changed or removed, while the host ran or as it stopped.
        Assert.Equal(before, Listing());
        var records = Directory.GetFiles(Path.Combine(runtime.Base, "memory", "failures"));
        Assert.Equal(3, records.Length);
        Assert.All(records, file => Assert.Equal("600 regular file", Stat(file)));
        var trailers = GitHistory.Log(runtime.Base).SelectMany(c => c.RecordTrailers).ToList();
        Assert.Equal(3, trailers.Distinct().Count());
        Assert.Equal(3, trailers.Count);
        Assert.Empty(GitHistory.Status(runtime.Base));
        Assert.Equal("", Tools.Git(runtime.Base, "fsck", "--strict").Trim());
        var hostLog = Path.Combine(state, "host.log");
        // Said in the host's log (complete once the host has stopped; waited for all the same, as other tests do).
        await WaitUntilAsync(() => File.ReadAllText(hostLog).Contains("without the record file pool"), TimeSpan.FromSeconds(30));
        var warning = File.ReadAllText(hostLog).Split('\n').Single(l => l.Contains("without the record file pool"));
        output.WriteLine(warning);
        Assert.Contains(pool, warning);
    }

    private static string[] PoolFiles(string pool) => Directory.Exists(pool) ? Directory.GetFiles(pool, "record-*") : [];

    private static string Stat(string path) => Tools.Run("stat", "/", "-c", "%a %F", path).Stdout.Trim();

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException("condition not met in time");
            await Task.Delay(20);
        }
    }
}
