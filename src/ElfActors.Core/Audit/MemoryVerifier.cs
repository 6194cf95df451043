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
        // Every working set is in a scratch database, compared there (docs/adr/0050); what comes back is what is wrong.
        using var scratch = VerifyScratch.Load(paths);
        var rowsWithoutFile = scratch.RowsWithoutFile().Select(Describe).Order().ToList();
        var filesWithoutRow = scratch.FilesWithoutRow();
        var rowsNotInGit = scratch.RowsNotInGit().Select(Describe).Order().ToList();
        var inGitWithoutRow = scratch.TrackedWithoutRow();
        var pending = scratch.Pending;
        var several = scratch.InSeveralCommits();
        var removals = MemoryReader.Removals(paths, several.Select(s => s.Path).ToList());
        var inSeveral = several.Where(s => s.Commits - removals.GetValueOrDefault(s.Path) > 1)
            .Select(s => $"record {s.Id}: in {s.Commits} commits").Order().ToList();

        // Heuristics and decisions (issue #6) report into the same lists, each line naming its record.
        var dropIn = DropInAudit.Check(paths, scratch);
        rowsWithoutFile.AddRange(dropIn.RowsWithoutFile);
        filesWithoutRow.AddRange(dropIn.FilesWithoutRow);
        rowsNotInGit.AddRange(dropIn.RowsNotInGit);
        var reach = Reachability(paths, scratch);

        return new VerifyResult
        {
            Consistent = rowsWithoutFile.Count + filesWithoutRow.Count + rowsNotInGit.Count + inGitWithoutRow.Count + inSeveral.Count == 0
                && pending == 0 && reach.Unreachable.Count == 0,
            Unreachable = reach.Unreachable,
            Modified = reach.Modified,
            Deleted = reach.Deleted,
            Rows = (int)scratch.Rows + dropIn.Rows,
            Files = (int)scratch.Files,
            TrackedFiles = (int)scratch.TrackedFiles,
            Pending = (int)pending,
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
        using var scratch = VerifyScratch.Load(paths);
        using var index = MemoryIndex.Open(paths, options);

        // Only the rows that lack their file or their commit (read out first: the loop writes the index).
        foreach (var (id, path, hasFile, tracked) in scratch.RowsToRepair())
        {
            var outbox = index.ReadOutboxEntry(id);
            if (!hasFile)
            {
                var row = index.ReadLearning(id)!;
                var (content, source) = outbox is { } entry ? (entry.Content, "the outbox") : (RenderFromRow(row), "its database row (summary's first line only)");
                Directory.CreateDirectory(Path.GetDirectoryName(paths.Absolute(path))!);
                if (AtomicFile.WriteIfAbsent(paths.Absolute(path), content, flushFilesToDisk))
                    actions.Add($"rewrote {path} (record {id}) from {source}");
            }
            if (tracked) continue;
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
        // The committed entries are as loaded: the loop above queued only rows that had no outbox entry.
        RequeueUnreachable(paths, scratch, index, flushFilesToDisk, actions);
        foreach (var orphan in scratch.FilesWithoutRow())
            actions.Add($"left alone: {orphan} has no database row");
        foreach (var orphan in scratch.TrackedWithoutRow())
            actions.Add($"left alone: {orphan} is in git but has no database row");
        return actions;
    }

    private sealed record ReachReport(List<string> Unreachable, List<string> Modified, List<string> Deleted, List<long> UnreachableOutboxIds);

    /// <summary>
    /// Every committed record against the tip of the memory's branch (one <c>git ls-tree</c>) and its file on disk:
    /// unreachable (the tip lacks its file or entry), modified (the file's blob differs from the content hash kept
    /// with the record: hand-edited, in the tip or the working tree), deleted (by a person's own commit).
    /// </summary>
    private static ReachReport Reachability(MemoryPaths paths, VerifyScratch scratch)
    {
        var report = new ReachReport([], [], [], []);
        // Entries come by kind and path: a domain file's heuristics one after another, so only the current file's text is kept.
        (string Path, string Text) domainFile = (string.Empty, string.Empty);
        using var connection = OutboxQueries.OpenReadOnly(paths);
        using var heuristic = connection.CreateCommand();
        heuristic.CommandText = "SELECT content FROM elf_outbox WHERE id = $id";
        var outboxId = heuristic.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
        foreach (var entry in scratch.Committed())
        {
            var (kind, path) = (entry.Kind, entry.Path);
            var name = $"{kind} {OutboxTables.TrailerKey(entry.RowTable, entry.RowId)}: {path}";
            if (entry.DeletedBy is { } commit)
            {
                report.Deleted.Add($"{name} (deleted by commit {commit[..Math.Min(12, commit.Length)]})");
                continue;
            }
            bool reachable;
            if (kind == OutboxKinds.Heuristic)
            {
                if (domainFile.Path != path)
                    domainFile = (path, entry.TipBlob is { } domainBlob ? GitCli.Run(paths.BasePath, ["cat-file", "blob", domainBlob]) : string.Empty);
                outboxId.Value = entry.OutboxId;
                reachable = domainFile.Text.Contains((string)heuristic.ExecuteScalar()!, StringComparison.Ordinal);
            }
            else reachable = entry.TipBlob is not null;
            if (!reachable)
            {
                report.Unreachable.Add(name);
                report.UnreachableOutboxIds.Add(entry.OutboxId);
                continue;
            }
            if (kind == OutboxKinds.Heuristic || entry.ContentHash is not { } hash) continue; // a shared file; or stored before content hashes
            if (entry.TipBlob != hash) report.Modified.Add($"{name} (edited in the branch's tip)");
            else if (File.Exists(paths.Absolute(path)) && RecordKeys.ContentHash(File.ReadAllBytes(paths.Absolute(path))) != hash)
                report.Modified.Add($"{name} (edited in the working tree)");
        }
        if (report.UnreachableOutboxIds.Count > 0 && MemoryReader.Branch(paths) is var branch && scratch.TipHasBlobs)
        {
            // Not yet seen by the committer: a file a person's own commit removed is theirs to delete.
            var absent = report.Unreachable.Select(PathOf).Distinct(StringComparer.Ordinal).Where(p => scratch.TipBlob(p) is null).ToList();
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
    private static void RequeueUnreachable(MemoryPaths paths, VerifyScratch scratch, MemoryIndex index, bool flushFilesToDisk, List<string> actions)
    {
        var report = Reachability(paths, scratch);
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

    private static string Describe((long Id, string Path) row) => $"record {row.Id}: {row.Path}";
}
