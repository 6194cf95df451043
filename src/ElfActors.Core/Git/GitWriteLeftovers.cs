namespace ElfActors.Core.Git;

/// <summary>What <see cref="GitWriteLeftovers.Clean"/> did at start.</summary>
public sealed record LeftoverReport(IReadOnlyList<string> Removed, IReadOnlyList<string> Completed, IReadOnlyList<string> Kept);

/// <summary>
/// Start-up cleanup of half-written git objects (issue #17): what a killed or out-of-space writer leaves in
/// <c>.git/objects</c>. Run with the memory's host lock held, before the committer starts. Decided like
/// <see cref="StaleLocks"/>, never by age alone for another program's files:
/// <list type="bullet">
/// <item>ElfActors' own temporary packs (<c>pack/tmp_elf_*</c>): no other ElfActors writes here while the host lock is
/// held, so they are removed unless a process has one open.</item>
/// <item>A <c>pack-*.pack</c> without its <c>.idx</c>: git writes packs under a temporary name and renames them
/// complete, so one at its final name without an index is a writer's that was killed between the two renames (or
/// ran out of space). It is completed with <c>git index-pack</c>, or removed when that fails (it is torn: git reads
/// no object from a pack without an index), only when no process has it open and no git runs in the repository.</item>
/// <item>ElfActors' own <c>.keep</c> files (<see cref="PackWriter"/>: a batch's pack kept until its branch update) that a
/// killed host left: removed, so that git's repacks may merge those packs again. Anyone else's keep files stay.</item>
/// <item>git's own temporary files (<c>tmp_obj_*</c>, <c>pack/tmp_pack_*</c>, <c>pack/tmp_idx_*</c>): only when older
/// than git's own grace for them (<c>git prune</c> removes them after two weeks), no process has them open and no git
/// runs in the repository: a person's live git keeps its files.</item>
/// </list>
/// </summary>
public static class GitWriteLeftovers
{
    /// <summary>git prune's default expiry (gc.pruneExpire, "2.weeks.ago"), after which it removes temporary object files itself.</summary>
    public static readonly TimeSpan GitGrace = TimeSpan.FromDays(14);

    public static LeftoverReport Clean(string gitDirectory, string workTree, DateTimeOffset now)
    {
        var removed = new List<string>();
        var completed = new List<string>();
        var kept = new List<string>();
        var objects = Path.Combine(gitDirectory, "objects");
        var pack = Path.Combine(objects, "pack");
        if (!Directory.Exists(objects)) return new LeftoverReport(removed, completed, kept);

        bool Free(string file)
        {
            if (StaleLocks.PossibleHolder(file) is { } holder)
            {
                kept.Add($"{Relative(file)} ({holder.Command}, pid {holder.Pid}, {holder.Why})");
                return false;
            }
            return true;
        }
        string Relative(string file) => Path.GetRelativePath(workTree, file);
        void Remove(string file)
        {
            try
            {
                File.Delete(file);
                removed.Add(Relative(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                kept.Add($"{Relative(file)} ({e.Message})");
            }
        }

        if (Directory.Exists(pack))
        {
            foreach (var file in Directory.EnumerateFiles(pack, "tmp_elf_*"))
                if (StaleLocks.HolderOf(file) is null) Remove(file);
            foreach (var file in Directory.EnumerateFiles(pack, "pack-*.keep"))
                if (PackWriter.IsOurKeep(file)) Remove(file);
            foreach (var file in Directory.EnumerateFiles(pack, "pack-*.pack"))
            {
                var index = Path.ChangeExtension(file, ".idx");
                if (File.Exists(index) || !Free(file)) continue;
                if (IndexPack(workTree, file) && File.Exists(index)) completed.Add(Relative(file));
                else
                {
                    Remove(file);
                    var reverse = Path.ChangeExtension(file, ".rev");
                    if (File.Exists(reverse)) Remove(reverse);
                }
            }
        }
        var gitTemporaries = Directory.Exists(pack)
            ? Directory.EnumerateFiles(pack, "tmp_pack_*").Concat(Directory.EnumerateFiles(pack, "tmp_idx_*"))
            : [];
        gitTemporaries = gitTemporaries.Concat(Directory.EnumerateDirectories(objects, "??").SelectMany(d => Directory.EnumerateFiles(d, "tmp_obj_*")))
            .Concat(Directory.EnumerateFiles(objects, "tmp_obj_*"));
        foreach (var file in gitTemporaries.ToList())
        {
            if (now - File.GetLastWriteTimeUtc(file) < GitGrace) continue;
            if (Free(file)) Remove(file);
        }
        return new LeftoverReport(removed, completed, kept);
    }

    private static bool IndexPack(string workTree, string pack)
    {
        try
        {
            GitCli.Run(workTree, ["index-pack", pack]);
            return true;
        }
        catch (GitStoreException)
        {
            return false; // torn: not a whole pack
        }
    }
}
