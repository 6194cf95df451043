using System.Globalization;
using ElfActors.Contracts.Wire;
using ElfActors.Core.Files;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Audit;

/// <summary>
/// <c>elf verify</c>: the database's rows, the record files and the branch's tip must tell the same story.
/// Lists what each one is missing and the orphans each way; <see cref="Repair"/> fixes what it safely can.
/// </summary>
public static class MemoryVerifier
{
    public static VerifyResult Verify(MemoryPaths paths)
    {
        var rows = MemoryReader.FailureRows(paths);
        var files = MemoryReader.FailureFiles(paths);
        var tracked = MemoryReader.TrackedLearningFiles(paths);
        var pending = OutboxQueries.PendingPaths(paths);
        var (trailers, _) = MemoryReader.Trailers(paths);
        var rowPaths = rows.Values.ToHashSet(StringComparer.Ordinal);

        var rowsWithoutFile = rows.Where(r => !files.Contains(r.Value)).Select(Describe).Order().ToList();
        var filesWithoutRow = files.Where(f => !rowPaths.Contains(f)).Order(StringComparer.Ordinal).ToList();
        var rowsNotInGit = rows.Where(r => files.Contains(r.Value) && !tracked.Contains(r.Value) && !pending.Contains(r.Value))
            .Select(Describe).Order().ToList();
        var inGitWithoutRow = tracked.Where(t => !rowPaths.Contains(t)).Order(StringComparer.Ordinal).ToList();
        var inSeveral = trailers.Where(t => t.Value > 1 && rows.ContainsKey(t.Key))
            .Select(t => $"record {t.Key}: in {t.Value} commits").Order().ToList();

        // Heuristics and decisions (issue #6) report into the same lists, each line naming its record.
        var dropIn = DropInAudit.Check(paths, pending);
        rowsWithoutFile.AddRange(dropIn.RowsWithoutFile);
        filesWithoutRow.AddRange(dropIn.FilesWithoutRow);
        rowsNotInGit.AddRange(dropIn.RowsNotInGit);

        return new VerifyResult
        {
            Consistent = rowsWithoutFile.Count + filesWithoutRow.Count + rowsNotInGit.Count + inGitWithoutRow.Count + inSeveral.Count == 0
                && pending.Count == 0,
            Rows = rows.Count + dropIn.Rows,
            Files = files.Count,
            TrackedFiles = tracked.Count,
            Pending = pending.Count,
            RowsWithoutFile = rowsWithoutFile,
            FilesWithoutRow = filesWithoutRow,
            RowsNotInGit = rowsNotInGit,
            InGitWithoutRow = inGitWithoutRow,
            InSeveralCommits = inSeveral,
        };
    }

    /// <summary>
    /// Re-renders missing files (from the outbox, else from the row) and queues rows whose file never reached git.
    /// Files without a row and commits without a row are reported, never deleted: they may be a person's work.
    /// Returns what it did, one line per action; the caller then lets the committer commit what was queued.
    /// </summary>
    public static IReadOnlyList<string> Repair(MemoryPaths paths, IndexOptions options, bool flushFilesToDisk, TimeProvider clock)
    {
        var actions = new List<string>();
        var rows = MemoryReader.FailureRows(paths);
        var files = MemoryReader.FailureFiles(paths);
        var tracked = MemoryReader.TrackedLearningFiles(paths);
        using var index = MemoryIndex.Open(paths, options);

        foreach (var (id, path) in rows.OrderBy(r => r.Key))
        {
            var outbox = index.ReadOutboxEntry(id);
            if (!files.Contains(path))
            {
                var row = index.ReadLearning(id)!;
                var (content, source) = outbox is { } entry ? (entry.Content, "the outbox") : (RenderFromRow(row), "its database row (summary's first line only)");
                Directory.CreateDirectory(Path.GetDirectoryName(paths.Absolute(path))!);
                if (AtomicFile.WriteIfAbsent(paths.Absolute(path), content, flushFilesToDisk))
                    actions.Add($"rewrote {path} (record {id}) from {source}");
            }
            if (tracked.Contains(path)) continue;
            switch (outbox)
            {
                case null:
                    var existing = index.ReadLearning(id)!;
                    index.EnqueueExisting(existing, File.ReadAllText(paths.Absolute(path)), clock.GetUtcNow());
                    actions.Add($"queued {path} (record {id}) for a commit");
                    break;
                case { CommitId: { } commit }:
                    actions.Add($"left alone: {path} (record {id}) was committed in {commit[..Math.Min(12, commit.Length)]} but is no longer on the branch; restore it with git if it was removed by mistake");
                    break;
            }
        }
        foreach (var orphan in files.Where(f => !rows.ContainsValue(f)).Order(StringComparer.Ordinal))
            actions.Add($"left alone: {orphan} has no database row");
        foreach (var orphan in tracked.Where(t => !rows.ContainsValue(t)).Order(StringComparer.Ordinal))
            actions.Add($"left alone: {orphan} is in git but has no database row");
        return actions;
    }

    private static string RenderFromRow(LearningRow row)
    {
        var date = DateTime.TryParse(row.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)
            ? DateOnly.FromDateTime(created) : DateOnly.FromDateTime(DateTime.UtcNow);
        var failure = new ValidatedFailure(row.Title, row.Domain ?? string.Empty, row.Severity, row.Tags ?? string.Empty,
            string.IsNullOrEmpty(row.Summary) ? FailureValidator.DefaultSummary : row.Summary)
        {
            Type = LearningTypes.All.Contains(row.Type) ? row.Type : LearningTypes.Failure,
        };
        return FailureMarkdown.Render(failure, date);
    }

    private static string Describe(KeyValuePair<long, string> row) => $"record {row.Key}: {row.Value}";
}
