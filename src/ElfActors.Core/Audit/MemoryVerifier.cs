using System.Globalization;
using ElfActors.Contracts.Wire;
using ElfActors.Core.Files;
using ElfActors.Core.Git;
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
        var several = trailers.Where(t => t.Value > 1 && rows.ContainsKey(t.Key)).ToList();
        var removals = MemoryReader.Removals(paths, several.Select(t => rows[t.Key]).ToList());
        var inSeveral = several.Where(t => t.Value - removals.GetValueOrDefault(rows[t.Key]) > 1)
            .Select(t => $"record {t.Key}: in {t.Value} commits").Order().ToList();

        // Heuristics and decisions (issue #6) report into the same lists, each line naming its record.
        var dropIn = DropInAudit.Check(paths, pending);
        rowsWithoutFile.AddRange(dropIn.RowsWithoutFile);
        filesWithoutRow.AddRange(dropIn.FilesWithoutRow);
        rowsNotInGit.AddRange(dropIn.RowsNotInGit);
        var reach = Reachability(paths);

        return new VerifyResult
        {
            Consistent = rowsWithoutFile.Count + filesWithoutRow.Count + rowsNotInGit.Count + inGitWithoutRow.Count + inSeveral.Count == 0
                && pending.Count == 0 && reach.Unreachable.Count == 0,
            Unreachable = reach.Unreachable,
            Modified = reach.Modified,
            Deleted = reach.Deleted,
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
                case { CommitId: not null }:
                    break; // queued again below, unless a person deleted it with a commit of their own
            }
        }
        RequeueUnreachable(paths, index, flushFilesToDisk, actions);
        foreach (var orphan in files.Where(f => !rows.ContainsValue(f)).Order(StringComparer.Ordinal))
            actions.Add($"left alone: {orphan} has no database row");
        foreach (var orphan in tracked.Where(t => !rows.ContainsValue(t)).Order(StringComparer.Ordinal))
            actions.Add($"left alone: {orphan} is in git but has no database row");
        return actions;
    }

    private sealed record ReachReport(List<string> Unreachable, List<string> Modified, List<string> Deleted, List<long> UnreachableOutboxIds);

    /// <summary>
    /// Every committed record against the tip of the memory's branch (one <c>git ls-tree</c>) and its file on disk:
    /// unreachable (the tip lacks its file or entry), modified (the file's blob differs from the content hash kept
    /// with the record: hand-edited, in the tip or the working tree), deleted (by a person's own commit).
    /// </summary>
    private static ReachReport Reachability(MemoryPaths paths)
    {
        var report = new ReachReport([], [], [], []);
        var tip = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, blob) in MemoryReader.TrackedBlobs(paths)) tip[path] = blob;
        var heuristicTexts = new Dictionary<string, string>(StringComparer.Ordinal);
        using var connection = OutboxQueries.OpenReadOnly(paths);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, kind, row_table, row_id, relpath, content_hash, deleted_by, CASE WHEN kind = 'heuristic' THEN content END
            FROM elf_outbox WHERE commit_id IS NOT NULL ORDER BY kind, relpath
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var (kind, path) = (reader.GetString(1), reader.GetString(4));
            var name = $"{kind} {OutboxTables.TrailerKey(reader.GetString(2), reader.GetInt64(3))}: {path}";
            if (!reader.IsDBNull(6))
            {
                var commit = reader.GetString(6);
                report.Deleted.Add($"{name} (deleted by commit {commit[..Math.Min(12, commit.Length)]})");
                continue;
            }
            bool reachable;
            if (kind == OutboxKinds.Heuristic)
            {
                if (!heuristicTexts.TryGetValue(path, out var text))
                    heuristicTexts[path] = text = tip.TryGetValue(path, out var domainBlob) ? GitCli.Run(paths.BasePath, ["cat-file", "blob", domainBlob]) : string.Empty;
                reachable = text.Contains(reader.GetString(7), StringComparison.Ordinal);
            }
            else reachable = tip.ContainsKey(path);
            if (!reachable)
            {
                report.Unreachable.Add(name);
                report.UnreachableOutboxIds.Add(reader.GetInt64(0));
                continue;
            }
            if (kind == OutboxKinds.Heuristic || reader.IsDBNull(5)) continue; // a shared file; or stored before content hashes
            var hash = reader.GetString(5);
            if (tip[path] != hash) report.Modified.Add($"{name} (edited in the branch's tip)");
            else if (File.Exists(paths.Absolute(path)) && RecordKeys.ContentHash(File.ReadAllBytes(paths.Absolute(path))) != hash)
                report.Modified.Add($"{name} (edited in the working tree)");
        }
        if (report.UnreachableOutboxIds.Count > 0 && MemoryReader.Branch(paths) is var branch && tip.Count > 0)
        {
            // Not yet seen by the committer: a file a person's own commit removed is theirs to delete.
            var absent = report.Unreachable.Select(PathOf).Where(p => !tip.ContainsKey(p)).Distinct(StringComparer.Ordinal).ToList();
            var deleted = GitStore.DeletedByPerson(paths.BasePath, branch, absent);
            for (var i = report.Unreachable.Count - 1; i >= 0; i--)
            {
                if (!deleted.TryGetValue(PathOf(report.Unreachable[i]), out var commit)) continue;
                report.Deleted.Add($"{report.Unreachable[i]} (deleted by commit {commit[..Math.Min(12, commit.Length)]})");
                report.Unreachable.RemoveAt(i);
                report.UnreachableOutboxIds.RemoveAt(i);
            }
        }
        return report;
    }

    private static string PathOf(string line) => line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..];

    /// <summary>
    /// Queues again committed records the tip no longer holds (a person's own deletions excepted), with their files
    /// written from the outbox where the working tree lost them; the committer then commits them.
    /// </summary>
    private static void RequeueUnreachable(MemoryPaths paths, MemoryIndex index, bool flushFilesToDisk, List<string> actions)
    {
        var report = Reachability(paths);
        for (var i = 0; i < report.UnreachableOutboxIds.Count; i++)
        {
            var line = report.Unreachable[i];
            var path = PathOf(line);
            if (!line.StartsWith(OutboxKinds.Heuristic + " ", StringComparison.Ordinal) && !File.Exists(paths.Absolute(path))
                && index.ReadContent(report.UnreachableOutboxIds[i]) is { } content)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(paths.Absolute(path))!);
                AtomicFile.WriteIfAbsent(paths.Absolute(path), content, flushFilesToDisk);
            }
            actions.Add($"queued again for a commit: {line} (not reachable from the branch's tip)");
        }
        index.Reopen(report.UnreachableOutboxIds);
    }

    private static string RenderFromRow(LearningRow row)
    {
        var date = DateTime.TryParse(row.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)
            ? DateOnly.FromDateTime(created) : DateOnly.FromDateTime(DateTime.UtcNow);
        var failure = new ValidatedLearning(row.Title, row.Domain ?? string.Empty, row.Severity, row.Tags ?? string.Empty,
            string.IsNullOrEmpty(row.Summary) ? LearningValidator.DefaultSummary : row.Summary)
        {
            Type = LearningTypes.All.Contains(row.Type) ? row.Type : LearningTypes.Failure,
        };
        return FailureMarkdown.Render(failure, date);
    }

    private static string Describe(KeyValuePair<long, string> row) => $"record {row.Key}: {row.Value}";
}
