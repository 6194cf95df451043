using System.Globalization;
using ElfActors.Core.Git;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Import;

/// <summary>
/// The index follows sync (docs/sync.md): after an integration, the learnings files that arrived from other machines
/// (the changed paths, not a reindex) get rows here at their own paths, numbered locally, committed in the commit that
/// brought them (one transaction), keeping the record key their trailer gives. Runs on the committer's thread, so the
/// committer never sees them pending. Heuristics and decisions are not imported yet (docs/sync.md, limits).
/// </summary>
public static class ArrivedRecords
{
    public static int Import(MemoryIndex index, MemoryPaths paths, IntegrationOutcome outcome, DateTimeOffset now)
    {
        if (outcome.NewTip is not { } tip) return 0;
        var learnings = outcome.ChangedPaths.Where(p => TypeOf(p) is not null).ToList();
        if (learnings.Count == 0) return 0;
        var known = index.KnownPaths(learnings);
        var arrived = learnings.Where(p => !known.Contains(p)).ToList();
        if (arrived.Count == 0) return 0;
        var keys = TrailerKeys(paths.BasePath, outcome.OldTip, tip);
        var records = new List<(LearningRecord, string?)>();
        foreach (var path in arrived)
        {
            var blob = SyncGit.TryRun(paths.BasePath, ["cat-file", "blob", $"{tip}:{path}"]);
            if (!blob.Ok || LearningFileParser.Parse(blob.Stdout, TypeOf(path)!) is not { } parsed) continue; // removed, or not a learning
            records.Add((new LearningRecord(path, parsed.Learning, null, blob.Stdout,
                parsed.Date is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00" : null, null),
                keys.GetValueOrDefault(path)));
        }
        return index.ImportArrivedLearnings(records, tip, now);
    }

    private static string? TypeOf(string path) =>
        path.EndsWith(".md", StringComparison.Ordinal) && path.Count(c => c == '/') == 2
            ? LearningTypes.All.FirstOrDefault(t => path.StartsWith(LearningTypes.Folder(t), StringComparison.Ordinal))
            : null;

    /// <summary>Path → record key, from the keyed trailers of the commits that came in.</summary>
    private static Dictionary<string, string> TrailerKeys(string repo, string? oldTip, string newTip)
    {
        var range = oldTip is null ? newTip : $"{oldTip}..{newTip}";
        var log = SyncGit.TryRun(repo, ["log", "--format=%B%x1e", range]).Stdout;
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, path) in CommitMessage.Trailers(log))
            if (path is not null) keys.TryAdd(path, key);
        return keys;
    }
}
