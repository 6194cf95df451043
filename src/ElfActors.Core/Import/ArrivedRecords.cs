using System.Globalization;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Import;

/// <summary>A record another machine committed, read from the tip that brought it: its kind's record, its file, its content and its key.</summary>
/// <param name="Record">A <see cref="LearningRecord"/>, <see cref="HeuristicRecord"/> or <see cref="DecisionRecord"/>.</param>
/// <param name="Content">The file's text (learnings, decisions) or the entry's exact text (heuristics).</param>
/// <param name="Key">The record key its commit's trailer gives, if any.</param>
public sealed record ArrivedRecord(object Record, string RelativePath, string Content, string? Key);

/// <summary>
/// The index follows sync (docs/sync.md, docs/adr/0036): after an integration, the records that arrived from other
/// machines (from the changed paths, not a reindex) get rows here, numbered locally, committed in the commit that
/// brought them (one transaction), keeping the record key their trailers give. Learnings and decisions are the files
/// of their own that no outbox entry names; heuristics are the entries of a changed domain file that were not in it
/// before the integration and whose text no entry here has. Runs on the committer's thread, so the committer never
/// sees them pending.
/// </summary>
public static class ArrivedRecords
{
    public static int Import(MemoryIndex index, MemoryPaths paths, IntegrationOutcome outcome, DateTimeOffset now)
    {
        if (outcome.NewTip is not { } tip) return 0;
        var ownFiles = outcome.ChangedPaths.Where(p => LearningType(p) is not null || IsDecision(p)).ToList();
        var domainFiles = outcome.ChangedPaths.Where(IsDomainFile).ToList();
        var known = ownFiles.Count == 0 ? new HashSet<string>() : index.KnownPaths(ownFiles);
        ownFiles.RemoveAll(known.Contains);
        if (ownFiles.Count + domainFiles.Count == 0) return 0;
        var repo = paths.BasePath;
        var (fileKeys, entryKeys) = TrailerKeys(repo, outcome.OldTip, tip);
        var records = new List<ArrivedRecord>();
        foreach (var path in ownFiles)
        {
            if (Show(repo, tip, path) is not { } text) continue; // removed
            if (LearningType(path) is { } type)
            {
                if (LearningFileParser.Parse(text, type) is not { } learning) continue; // not a learning
                records.Add(new ArrivedRecord(new LearningRecord(path, learning.Learning, null, text, Day(learning.Date), null), path, text, fileKeys.GetValueOrDefault(path)));
            }
            else if (DecisionMarkdown.Parse(text) is { } decision)
            {
                var created = Day(decision.Date);
                records.Add(new ArrivedRecord(new DecisionRecord(decision.Id, path, decision.Decision, text, CreatedAt: created, UpdatedAt: created),
                    path, text, fileKeys.GetValueOrDefault(path)));
            }
        }
        foreach (var path in domainFiles)
        {
            if (Show(repo, tip, path) is not { } text) continue;
            var before = outcome.OldTip is { } oldTip ? Show(repo, oldTip, path) ?? string.Empty : string.Empty;
            var domain = Path.GetFileNameWithoutExtension(path);
            foreach (var entry in HeuristicMarkdown.Parse(text))
            {
                if (before.Contains(entry.Text, StringComparison.Ordinal)) continue; // here before this integration: it has its row (or is ELF's own)
                var created = Day(entry.Created);
                records.Add(new ArrivedRecord(new HeuristicRecord(entry.Id, new ValidatedHeuristic(domain, entry.Rule, entry.Explanation, entry.Source, entry.Confidence),
                    CreatedAt: created, UpdatedAt: created), path, entry.Text,
                    // An entry no commit keyed (before Elf-Entry, or ELF's own) gets the key every clone derives from it (docs/adr/0045).
                    entryKeys.GetValueOrDefault((path, RecordKeys.ContentHash(entry.Text))) ?? RecordKeys.ForEntry(path, entry.Text, entry.Created)));
            }
        }
        return records.Count == 0 ? 0 : index.ImportArrived(records, tip, now);
    }

    private static string? Day(DateOnly? date) => date is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00" : null;

    private static string? Show(string repo, string commit, string path)
    {
        var blob = GitCli.TryRun(repo, ["cat-file", "blob", $"{commit}:{path}"]);
        return blob.Succeeded ? blob.Stdout : null;
    }

    private static string? LearningType(string path) =>
        path.EndsWith(".md", StringComparison.Ordinal) && path.Count(c => c == '/') == 2
            ? LearningTypes.All.FirstOrDefault(t => path.StartsWith(LearningTypes.Folder(t), StringComparison.Ordinal))
            : null;

    private static bool IsDecision(string path) =>
        path.StartsWith(DecisionMarkdown.Folder, StringComparison.Ordinal) && path.EndsWith(".md", StringComparison.Ordinal)
        && path.IndexOf('/', DecisionMarkdown.Folder.Length) < 0;

    private static bool IsDomainFile(string path) => SyncIntegration.IsAppendFile(path) && path.StartsWith(HeuristicMarkdown.Folder, StringComparison.Ordinal);

    /// <summary>From the trailers of the commits that came in: file → record key (Elf-Record), and (file, entry content hash) → record key (Elf-Entry).</summary>
    private static (Dictionary<string, string> Files, Dictionary<(string, string), string> Entries) TrailerKeys(string repo, string? oldTip, string newTip)
    {
        var range = oldTip is null ? newTip : $"{oldTip}..{newTip}";
        var log = GitCli.TryRun(repo, ["log", "--format=%B%x1e", range]).Stdout;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, path) in CommitMessage.Trailers(log))
            if (path is not null) files.TryAdd(path, key);
        var entries = new Dictionary<(string, string), string>();
        foreach (var (key, path, hash) in CommitMessage.EntriesWithFile(log)) entries.TryAdd((path, hash), key);
        return (files, entries);
    }
}
