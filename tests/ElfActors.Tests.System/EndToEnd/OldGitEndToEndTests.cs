using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// A git older than the oldest ElfActors runs with (2.30, docs/git-writer.md): the published elf, with a `git` first on
/// the PATH that reports 2.25.1 and runs the machine's git for everything else.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "EndToEnd")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OldGitEndToEndTests(PublishedElf elf)
{
    [Fact]
    public async Task A_git_older_than_2_30_is_refused_naming_both_versions_and_nothing_is_committed()
    {
        using var memory = new TempMemory();
        var bin = Path.Combine(memory.BasePath + "-bin");
        Directory.CreateDirectory(bin);
        var machineGit = Tools.Run("sh", bin, "-c", "command -v git").Stdout.Trim();
        var fake = Path.Combine(bin, "git");
        File.WriteAllText(fake, $"#!/bin/sh\n[ \"$1\" = --version ] && {{ echo 'git version 2.25.1'; exit 0; }}\nexec '{machineGit}' \"$@\"\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") };
        try
        {
            var record = await elf.RunAsync(["record-failure", "--base", memory.BasePath, "--title", "Old git", "--domain", "git"], environment);

            Assert.NotEqual(0, record.ExitCode);
            Assert.Contains("git 2.25.1 is older than 2.30", record.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(memory.BasePath, ".git")), "no repository is made with a git that is refused");
            Assert.Empty(Directory.Exists(memory.Paths.FailuresDirectory) ? Directory.GetFiles(memory.Paths.FailuresDirectory) : []);

            var doctor = await elf.RunAsync(["doctor", "--base", memory.BasePath], environment);
            Assert.Equal(1, doctor.ExitCode);
            Assert.Contains("fail  git: git 2.25.1 is older than 2.30", doctor.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Tools.StopHostsUnder(memory.BasePath);
            Directory.Delete(bin, recursive: true);
        }
    }
}
