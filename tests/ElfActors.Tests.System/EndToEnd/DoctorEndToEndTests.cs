using System.Text.Json;

namespace ElfActors.Tests.EndToEnd;

/// <summary>`elf doctor` as a user runs it: the published elf, a memory a real host wrote, then broken on disk.</summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DoctorEndToEndTests(PublishedElf elf)
{
    [Fact]
    public async Task A_memory_elf_wrote_is_clean_and_a_stale_lock_or_an_open_runtime_folder_exit_1_with_the_fix()
    {
        await using var served = new ServedMemory(elf);
        var record = await elf.RunAsync("record-failure", "--base", served.Base, "--title", "Doctor", "--domain", "doctor", "--wait-commit");
        Assert.True(record.ExitCode == 0, record.ToString());

        var clean = await elf.RunAsync("doctor", "--base", served.Base);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        foreach (var line in new[] { "ok    install:", "ok    git:", "ok    host: running", "ok    repository: on branch", "ok    database:", "ok    elf schema:" })
            Assert.Contains(line, clean.Stdout);
        var json = await elf.RunAsync("doctor", "--base", served.Base, "--json");
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            Assert.Equal("ok", document.RootElement.GetProperty("status").GetString());
            Assert.Contains(document.RootElement.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "host" && c.GetProperty("level").GetString() == "ok");
        }

        Assert.Equal(0, (await elf.RunAsync("stop", "--base", served.Base)).ExitCode);
        var stopped = await elf.RunAsync("doctor", "--base", served.Base);
        Assert.True(stopped.ExitCode == 0, stopped.ToString()); // no host running is information, not a fault
        Assert.Contains("info  host: not running", stopped.Stdout);

        var lockPath = Path.Combine(served.Base, ".git", "index.lock");
        File.WriteAllText(lockPath, "");
        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow.AddMinutes(-10));
        var locked = await elf.RunAsync("doctor", "--base", served.Base);
        Assert.Equal(1, locked.ExitCode);
        Assert.Contains("fail  git lock: .git/index.lock", locked.Stdout);
        Assert.Contains($"fix: rm {lockPath}", locked.Stdout);
        File.Delete(lockPath);

        var runtime = Directory.CreateTempSubdirectory("elf-doctor-runtime-");
        try
        {
            File.SetUnixFileMode(runtime.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var open = Directory.CreateDirectory(Path.Combine(runtime.FullName, "elf"));
            File.SetUnixFileMode(open.FullName, (UnixFileMode)0x1ED); // 0755: others may read it
            var exposed = await elf.RunAsync(["doctor", "--base", served.Base], new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = runtime.FullName });
            Assert.Equal(1, exposed.ExitCode);
            Assert.Contains($"fail  runtime folder: the runtime folder {open.FullName} is readable by others", exposed.Stdout);
        }
        finally
        {
            runtime.Delete(recursive: true);
        }
    }
}
