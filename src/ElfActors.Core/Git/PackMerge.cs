namespace ElfActors.Core.Git;

/// <summary>
/// The git command that merges the small packs each batch adds (docs/git-writer.md, "git versions"). From git 2.32 on,
/// <c>repack -d --geometric=2</c>: git rolls the small packs into one, keeping every object in them, and leaves the
/// large ones alone. Older git (2.30: Debian bullseye) has no <c>--geometric</c> and exits 129 on it, so packs would
/// pile up unmerged; there the same split is chosen here (pack sizes in bytes standing in for git's object counts)
/// and handed to <c>repack -a -d -k</c> with every large pack kept (<c>--keep-pack</c>): <c>-k</c> keeps unreachable
/// objects too, so a batch's objects that no ref names yet are never dropped. It walks the history to do so.
/// </summary>
public static class PackMerge
{
    /// <summary>The first git with <c>repack --geometric</c>.</summary>
    public static readonly Version GeometricSince = new(2, 32);

    private const int Factor = 2;

    /// <summary>The repack command for <paramref name="git"/> (null: unknown, taken as recent) over the packs in <paramref name="packFolder"/>.</summary>
    public static string[] Arguments(Version? git, string packFolder)
    {
        string[] repack = ["-c", "pack.threads=1", "repack", "-d", "-q"];
        if (git is null || git >= GeometricSince) return [.. repack, $"--geometric={Factor}"];
        var packs = new DirectoryInfo(packFolder).EnumerateFiles("pack-*.pack").Select(pack => (pack.Name, pack.Length));
        return [.. repack, "-a", "-k", .. Kept(packs).Select(name => "--keep-pack=" + name)];
    }

    /// <summary>
    /// The packs a geometric merge (factor 2) leaves alone, as git 2.32's repack splits them: sorted by size, the
    /// large ones that already grow by the factor from one to the next stay, and so does any of those that is at least
    /// the factor times the total of what is merged below it.
    /// </summary>
    public static IReadOnlyList<string> Kept(IEnumerable<(string Name, long Size)> packs)
    {
        var sorted = packs.OrderBy(p => p.Size).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
        if (sorted.Count < 2) return sorted.Select(p => p.Name).ToList();
        // From the largest down, the first pack that is not the factor times the one below it ends the progression.
        var split = 0;
        for (var i = sorted.Count - 1; i > 0; i--)
        {
            if (sorted[i].Size < Factor * sorted[i - 1].Size)
            {
                split = i + 1;
                break;
            }
        }
        var merged = sorted.Take(split).Sum(p => p.Size);
        while (split < sorted.Count && sorted[split].Size < Factor * merged)
        {
            merged += sorted[split].Size;
            split++;
        }
        return sorted.Skip(split).Select(p => p.Name).ToList();
    }
}
