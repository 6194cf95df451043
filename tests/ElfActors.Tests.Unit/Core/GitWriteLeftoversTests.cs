using System.Diagnostics;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// Start-up cleanup of half-written git objects (issue #17), on a real repository, checked with git's own verdicts
/// (`git fsck --strict`, `git count-objects`): completed or removed what a killed writer left, never a live process's files.
/// </summary>
public sealed class GitWriteLeftoversTests : IDisposable
{
    private readonly DirectoryInfo _repository = Directory.CreateTempSubdirectory("elf-leftovers-");

    private string Repo => _repository.FullName;
    private string Pack => Path.Combine(Repo, ".git", "objects", "pack");

    public void Dispose() => _repository.Delete(recursive: true);

    private void Commit(string file, string text)
    {
        File.WriteAllText(Path.Combine(Repo, file), text);
        Tools.Git(Repo, "add", file);
        Tools.Git(Repo, "-c", "user.name=P", "-c", "user.email=p@x", "commit", "-qm", file);
    }

    [Fact]
    public void A_pack_without_its_index_is_completed_a_torn_one_and_elfs_own_temporaries_removed_and_a_live_or_young_gits_files_kept()
    {
        Tools.Git(Repo, "init", "-q");
        Commit("a.txt", "one\n");
        Commit("b.txt", "two\n");
        Tools.Git(Repo, "repack", "-q", "-a", "-d");
        var whole = Directory.GetFiles(Pack, "pack-*.pack").Single();
        // A writer killed between the pack's rename and its index's: the index is missing.
        File.Delete(Path.ChangeExtension(whole, ".idx"));
        // A torn pack at its final name (out of space), an ElfActors temporary pack, git's temporaries young and old.
        var torn = Path.Combine(Pack, "pack-" + new string('1', 40) + ".pack");
        File.WriteAllBytes(torn, File.ReadAllBytes(whole).AsSpan(0, 40).ToArray());
        var elfTemp = Path.Combine(Pack, "tmp_elf_" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(elfTemp, "PACK");
        // A killed host's keep file (its batch's pack stays out of repacks until removed), and a person's own.
        var ourKeep = Path.ChangeExtension(whole, ".keep");
        File.WriteAllText(ourKeep, PackWriter.KeepMarker + " (pid 1)\n");
        var theirKeep = Path.ChangeExtension(torn, ".keep").Replace(new string('1', 40), new string('2', 40), StringComparison.Ordinal);
        File.WriteAllText(theirKeep, "kept by a person\n");
        var young = Path.Combine(Pack, "tmp_pack_young");
        File.WriteAllText(young, "PACK");
        var old = Path.Combine(Repo, ".git", "objects", "tmp_obj_old");
        File.WriteAllText(old, "x");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow - TimeSpan.FromDays(20));
        var held = Path.Combine(Pack, "tmp_pack_held");
        File.WriteAllText(held, "PACK");
        File.SetLastWriteTimeUtc(held, DateTime.UtcNow - TimeSpan.FromDays(20));
        // A live process (another program's) holds the old temporary open.
        using var holder = Process.Start(new ProcessStartInfo("bash", ["-c", $"exec 3<'{held}'; echo ready; read"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("ready", holder.StandardOutput.ReadLine());

            var report = GitWriteLeftovers.Clean(Path.Combine(Repo, ".git"), Repo, DateTimeOffset.UtcNow);

            Assert.True(File.Exists(Path.ChangeExtension(whole, ".idx")), "the pack without its index is completed");
            Assert.Single(report.Completed);
            Assert.False(File.Exists(torn));
            Assert.False(File.Exists(elfTemp));
            Assert.False(File.Exists(ourKeep), "a killed host's keep file is removed");
            Assert.True(File.Exists(theirKeep), "anyone else's keep file stays");
            Assert.False(File.Exists(old));
            Assert.True(File.Exists(young), "git's own temporary within its grace is kept");
            Assert.True(File.Exists(held), "a temporary a live process has open is kept");
            Assert.Contains(report.Kept, k => k.Contains("tmp_pack_held", StringComparison.Ordinal));
            // git's verdicts: every object readable, the history whole.
            Assert.Equal(0, Tools.Run("git", Repo, "fsck", "--strict").ExitCode);
            Assert.Equal("two\n", Tools.Git(Repo, "show", "HEAD:b.txt"));
            Assert.Equal("one\n", Tools.Git(Repo, "show", "HEAD:a.txt"));
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }
}
