using System.Security.Cryptography;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// The pack merge on a git without <c>repack --geometric</c> (before 2.32, e.g. Debian bullseye's 2.30): the command
/// the committer runs there is run against a real repository with the machine's git and judged by git itself.
/// </summary>
public sealed class PackMergeTests : IDisposable
{
    private readonly string _repository = Path.Combine(Path.GetTempPath(), "elf-packs-" + Guid.NewGuid().ToString("N")[..10]);

    public PackMergeTests() => Directory.CreateDirectory(_repository);

    [Fact]
    public void Git_2_32_and_later_and_an_unknown_version_merge_geometrically_older_git_without_the_option()
    {
        Assert.Contains("--geometric=2", PackMerge.Arguments(new Version(2, 32), _repository));
        Assert.Contains("--geometric=2", PackMerge.Arguments(new Version(2, 39, 5), _repository));
        Assert.Contains("--geometric=2", PackMerge.Arguments(null, _repository));
        var old = PackMerge.Arguments(new Version(2, 30, 2), _repository);
        Assert.DoesNotContain(old, a => a.StartsWith("--geometric", StringComparison.Ordinal));
        Assert.Contains("-k", old); // unreachable objects (a batch's before its ref moves) are kept
    }

    [Theory]
    [InlineData(new long[] { 1, 2, 4, 8 }, new[] { "p0", "p1", "p2", "p3" })] // already a progression: nothing merged
    [InlineData(new long[] { 10, 10, 10, 10, 1000 }, new[] { "p4" })] // the small ones merge, the large one stays
    [InlineData(new long[] { 10, 10, 10, 10, 50, 1000 }, new[] { "p5" })] // 50 < 2 x 40: merged with them
    [InlineData(new long[] { 10, 10, 100, 1000 }, new[] { "p2", "p3" })]
    [InlineData(new long[] { 10, 10, 10 }, new string[0])] // all alike: all merged
    public void The_kept_packs_are_those_a_geometric_merge_leaves_alone(long[] sizes, string[] kept)
    {
        var packs = sizes.Select((size, i) => ($"p{i}", size));
        Assert.Equal(kept, PackMerge.Kept(packs).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void On_git_before_2_32_the_small_packs_merge_and_no_object_is_lost_not_even_an_unreachable_one()
    {
        Tools.Git(_repository, "init", "-q", "-b", "main");
        // One large pack (a first commit of many files), then 20 small ones, one commit each.
        for (var i = 0; i < 50; i++)
            File.WriteAllText(Path.Combine(_repository, $"large-{i}.md"), $"# large {i}\n{Convert.ToHexString(RandomNumberGenerator.GetBytes(8000))}\n");
        Tools.Git(_repository, "add", "-A");
        Tools.GitCommitAsPerson(_repository, "large");
        Tools.Git(_repository, "repack", "-q", "-d");
        var packFolder = Path.Combine(_repository, ".git", "objects", "pack");
        var large = Packs(packFolder).Single();
        for (var i = 0; i < 20; i++)
        {
            File.WriteAllText(Path.Combine(_repository, $"small-{i}.md"), $"# small {i}\n");
            Tools.Git(_repository, "add", "-A");
            Tools.GitCommitAsPerson(_repository, $"small {i}");
            Tools.Git(_repository, "repack", "-q", "-d");
        }
        // A pack holding an object no ref or index entry names: a batch's pack before its branch moves.
        var blob = Tools.Run("sh", _repository, "-c", "printf 'not yet committed\\n' | git hash-object -w --stdin").Stdout.Trim();
        Assert.Equal(0, Tools.Run("sh", _repository, "-c", $"echo {blob} | git pack-objects -q .git/objects/pack/pack >/dev/null && git prune-packed").ExitCode);
        Assert.Equal(22, Packs(packFolder).Count);
        var objectsBefore = Objects();

        var arguments = PackMerge.Arguments(new Version(2, 30, 2), packFolder);
        Assert.Contains("--keep-pack=" + large, arguments);
        Tools.Git(_repository, arguments);

        var after = Packs(packFolder);
        Assert.Equal(2, after.Count); // the large pack, and the small ones merged into one
        Assert.Contains(large, after);
        Assert.Equal(0, Tools.Run("git", _repository, "cat-file", "-e", blob).ExitCode);
        Assert.Equal(objectsBefore, Objects());
        Assert.Equal(string.Empty, Tools.Git(_repository, "fsck", "--strict", "--no-progress", "--no-dangling").Trim());
        Assert.Equal(string.Empty, Tools.Git(_repository, "status", "--porcelain"));
    }

    private static List<string> Packs(string packFolder) =>
        Directory.EnumerateFiles(packFolder, "pack-*.pack").Select(p => Path.GetFileName(p)!).ToList();

    /// <summary>Every object git can find, reachable or not, loose or packed.</summary>
    private string Objects() =>
        string.Join('\n', Tools.Git(_repository, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

    public void Dispose()
    {
        try { Directory.Delete(_repository, recursive: true); }
        catch (IOException) { }
    }
}
