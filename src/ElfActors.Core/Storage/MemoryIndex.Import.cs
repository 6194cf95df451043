using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ElfActors.Core.Import;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>Storing records brought in from another memory (import) or rebuilt from this memory's files (reindex).</summary>
public sealed partial class MemoryIndex
{
    /// <summary>
    /// Stores imported records in one transaction: per record its ELF row (with ELF's timestamps and counters
    /// when the source had them) and an outbox entry with its file's content, exactly like a live record. A record
    /// this memory already imported (its request id, <see cref="ImportRequestId"/>: source path and content, never the
    /// content alone) is skipped, so importing twice adds nothing and distinct records are never merged.
    /// Returns the stored records' outbox entries; the caller writes their files and commits them.
    /// </summary>
    public IReadOnlyList<OutboxEntry> ImportRecords(IReadOnlyList<object> records, DateTimeOffset now)
    {
        var stored = new List<OutboxEntry>();
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var requestKnown = Command(transaction, "SELECT 1 FROM elf_outbox WHERE request_id = $r", "$r");
        using var pathTaken = Command(transaction, "SELECT 1 FROM elf_outbox WHERE relpath = $p", "$p");
        using var insertOutbox = Command(transaction, """
            INSERT INTO elf_outbox(request_id, kind, row_table, row_id, relpath, content, subject, detail, enqueued_at, record_key, content_hash)
            VALUES ($request, $kind, $table, $row, $relpath, $content, $subject, $detail, $at, $key, $hash) RETURNING id
            """, "$request", "$kind", "$table", "$row", "$relpath", "$content", "$subject", "$detail", "$at", "$key", "$hash");
        var enqueuedAt = Timestamp(now);
        foreach (var record in records)
        {
            var requestId = ImportRequestId(record);
            requestKnown.Parameters["$r"].Value = requestId;
            if (requestKnown.ExecuteScalar() is not null) continue;
            requestKnown.Parameters["$r"].Value = LegacyImportRequestId(record);
            if (requestKnown.ExecuteScalar() is not null) continue;

            var (table, rowId, kind, relativePath, content, subject, detail) = record switch
            {
                LearningRecord learning => StoreLearning(transaction, pathTaken, learning),
                HeuristicRecord heuristic => StoreHeuristic(transaction, heuristic),
                DecisionRecord decision => StoreDecision(transaction, pathTaken, decision),
                _ => throw new ArgumentException("not an importable record: " + record.GetType().Name, nameof(records)),
            };
            insertOutbox.Parameters["$request"].Value = requestId;
            insertOutbox.Parameters["$kind"].Value = kind;
            insertOutbox.Parameters["$table"].Value = table;
            insertOutbox.Parameters["$row"].Value = rowId;
            insertOutbox.Parameters["$relpath"].Value = relativePath;
            insertOutbox.Parameters["$content"].Value = content;
            insertOutbox.Parameters["$subject"].Value = subject;
            insertOutbox.Parameters["$detail"].Value = detail;
            insertOutbox.Parameters["$at"].Value = enqueuedAt;
            var recordKey = RecordKeys.New();
            insertOutbox.Parameters["$key"].Value = recordKey;
            insertOutbox.Parameters["$hash"].Value = RecordKeys.ContentHash(content);
            var outboxId = Convert.ToInt64(insertOutbox.ExecuteScalar(), CultureInfo.InvariantCulture);
            stored.Add(new OutboxEntry(rowId, kind, relativePath, content, subject, detail, now, table, outboxId, recordKey));
        }
        transaction.Commit();
        return stored;
    }

    /// <summary>
    /// The import's request id of a record: where it came from and what it holds (its source path or id, a hash of
    /// its content, its dates), so that two distinct records are never taken for one however alike (same title,
    /// domain and summary), and a re-run of the same import adds nothing (docs/adr/0021).
    /// </summary>
    public static string ImportRequestId(object record)
    {
        var key = record switch
        {
            LearningRecord l => $"learning-v2\n{l.RelativePath}\n{Hash(l.Content)}\n{l.CreatedAt}\n{l.SummaryInRow}\n{l.Learning.Title}\n{l.Learning.Type}",
            HeuristicRecord h => $"heuristic-v2\n{h.Id}\n{h.Heuristic.Domain}\n{h.Heuristic.Rule}\n{h.Heuristic.Explanation}\n{h.CreatedAt}",
            DecisionRecord d => $"decision-v2\n{d.Id}\n{d.RelativePath}\n{Hash(d.Content ?? string.Empty)}\n{d.Decision.Title}\n{d.Decision.Decision}\n{d.CreatedAt}",
            _ => record.ToString() ?? string.Empty,
        };
        return "import-" + Hash(key)[..40];
    }

    /// <summary>The request id imports before issue #19 gave a record (by content): a record imported then is not imported again.</summary>
    private static string LegacyImportRequestId(object record)
    {
        var key = record switch
        {
            LearningRecord l => $"learning\n{l.Learning.Type}\n{l.Learning.Title}\n{l.Learning.Domain}\n{l.Learning.SummaryFirstLine}",
            HeuristicRecord h => $"heuristic\n{h.Heuristic.Domain}\n{h.Heuristic.Rule}",
            DecisionRecord d => $"decision\n{d.Decision.Title}\n{d.Decision.Decision}",
            _ => record.ToString() ?? string.Empty,
        };
        return "import-" + Hash(key)[..40];
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private (string, long, string, string, string, string, string) StoreLearning(SqliteTransaction transaction, SqliteCommand pathTaken, LearningRecord record)
    {
        var learning = record.Learning;
        var folder = LearningTypes.Folder(learning.Type);
        var stem = record.RelativePath.StartsWith(folder, StringComparison.Ordinal)
            ? Path.GetFileNameWithoutExtension(record.RelativePath)
            : FailureMarkdown.FileStem(learning, DateOnly.FromDateTime(DateTime.UtcNow));
        var relativePath = FreePath(pathTaken, folder, stem);
        var rowId = InsertLearningRow(transaction, null, relativePath, learning, record.SummaryInRow, record.CreatedAt, record.UpdatedAt);
        return (OutboxTables.Learnings, rowId, learning.Type, relativePath, record.Content, learning.Type + ": " + learning.Title,
            $"Domain: {learning.Domain} | Severity: {learning.Severity.ToString(CultureInfo.InvariantCulture)}");
    }

    private (string, long, string, string, string, string, string) StoreHeuristic(SqliteTransaction transaction, HeuristicRecord record)
    {
        var rowId = InsertHeuristicRow(transaction, null, record);
        var heuristic = record.Heuristic;
        var entry = HeuristicMarkdown.Entry(rowId, heuristic, DateOf(record.CreatedAt));
        return (OutboxTables.Heuristics, rowId, OutboxKinds.Heuristic, HeuristicMarkdown.RelativePath(heuristic.Domain), entry,
            "heuristic: " + heuristic.Rule, $"Domain: {heuristic.Domain} | Confidence: {heuristic.ConfidenceText}");
    }

    private (string, long, string, string, string, string, string) StoreDecision(SqliteTransaction transaction, SqliteCommand pathTaken, DecisionRecord record)
    {
        var decision = record.Decision;
        var date = DateOf(record.CreatedAt);
        var stem = record.RelativePath is { } path ? Path.GetFileNameWithoutExtension(path) : DecisionMarkdown.FileStem(decision, date);
        var relativePath = FreePath(pathTaken, DecisionMarkdown.Folder, stem);
        var rowId = InsertDecisionRow(transaction, null, record);
        var adr = "ADR-" + rowId.ToString(CultureInfo.InvariantCulture);
        // The file is headed with the row's id: keep the source's text, with its old id replaced by the new one.
        var content = record is { Content: { } text, Id: { } oldId }
            ? text.Replace("ADR-" + oldId.ToString(CultureInfo.InvariantCulture) + ":", adr + ":", StringComparison.Ordinal)
                .Replace("**ID**: ADR-" + oldId.ToString(CultureInfo.InvariantCulture), "**ID**: " + adr, StringComparison.Ordinal)
            : DecisionMarkdown.Render(rowId, decision, date);
        return (OutboxTables.Decisions, rowId, OutboxKinds.Decision, relativePath, content,
            "decision: " + decision.Title, $"Domain: {decision.Domain} | {adr}");
    }

    /// <summary>
    /// Reindex: stores rows rebuilt from the files, with the ids the files (or git history) give them, and no
    /// outbox entries (the files are already in git). Meant for a fresh database.
    /// </summary>
    public void RebuildRows(IReadOnlyList<(long? Id, LearningRecord Record)> learnings, IReadOnlyList<HeuristicRecord> heuristics, IReadOnlyList<DecisionRecord> decisions)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        foreach (var (id, record) in learnings)
            InsertLearningRow(transaction, id, record.RelativePath, record.Learning, record.SummaryInRow, record.CreatedAt, record.UpdatedAt);
        foreach (var heuristic in heuristics) InsertHeuristicRow(transaction, heuristic.Id, heuristic);
        foreach (var decision in decisions) InsertDecisionRow(transaction, decision.Id, decision);
        transaction.Commit();
    }

    private long InsertLearningRow(SqliteTransaction transaction, long? id, string relativePath, ValidatedFailure learning, string? summaryInRow, string? createdAt, string? updatedAt)
    {
        using var insert = Command(transaction, """
            INSERT INTO learnings(id, type, filepath, title, summary, tags, domain, severity, created_at, updated_at)
            VALUES ($id, $type, $path, $title, $summary, $tags, $domain, $severity,
                    COALESCE($created, CURRENT_TIMESTAMP), COALESCE($updated, $created, CURRENT_TIMESTAMP))
            RETURNING id
            """, "$id", "$type", "$path", "$title", "$summary", "$tags", "$domain", "$severity", "$created", "$updated");
        insert.Parameters["$id"].Value = (object?)id ?? DBNull.Value;
        insert.Parameters["$type"].Value = learning.Type;
        insert.Parameters["$path"].Value = relativePath;
        insert.Parameters["$title"].Value = learning.Title;
        insert.Parameters["$summary"].Value = summaryInRow ?? learning.SummaryFirstLine;
        insert.Parameters["$tags"].Value = learning.Tags;
        insert.Parameters["$domain"].Value = learning.Domain;
        insert.Parameters["$severity"].Value = learning.Severity;
        insert.Parameters["$created"].Value = (object?)createdAt ?? DBNull.Value;
        insert.Parameters["$updated"].Value = (object?)updatedAt ?? DBNull.Value;
        return Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private long InsertHeuristicRow(SqliteTransaction transaction, long? id, HeuristicRecord record)
    {
        using var insert = Command(transaction, """
            INSERT INTO heuristics(id, domain, rule, explanation, source_type, source_id, confidence, times_validated, times_violated, is_golden, created_at, updated_at)
            VALUES ($id, $domain, $rule, $explanation, $source, $sourceId, $confidence, $validated, $violated, $golden,
                    COALESCE($created, CURRENT_TIMESTAMP), COALESCE($updated, $created, CURRENT_TIMESTAMP))
            RETURNING id
            """, "$id", "$domain", "$rule", "$explanation", "$source", "$sourceId", "$confidence", "$validated", "$violated", "$golden", "$created", "$updated");
        var heuristic = record.Heuristic;
        insert.Parameters["$id"].Value = (object?)id ?? DBNull.Value;
        insert.Parameters["$domain"].Value = heuristic.Domain;
        insert.Parameters["$rule"].Value = heuristic.Rule;
        insert.Parameters["$explanation"].Value = heuristic.Explanation;
        insert.Parameters["$source"].Value = heuristic.Source;
        insert.Parameters["$sourceId"].Value = (object?)record.SourceId ?? DBNull.Value;
        insert.Parameters["$confidence"].Value = heuristic.Confidence;
        insert.Parameters["$validated"].Value = record.TimesValidated;
        insert.Parameters["$violated"].Value = record.TimesViolated;
        insert.Parameters["$golden"].Value = record.IsGolden;
        insert.Parameters["$created"].Value = (object?)record.CreatedAt ?? DBNull.Value;
        insert.Parameters["$updated"].Value = (object?)record.UpdatedAt ?? DBNull.Value;
        return Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private long InsertDecisionRow(SqliteTransaction transaction, long? id, DecisionRecord record)
    {
        using var insert = Command(transaction, """
            INSERT INTO decisions(id, title, context, options_considered, decision, rationale, domain, files_touched, tests_added, status, created_at, updated_at)
            VALUES ($id, $title, $context, $options, $decision, $rationale, $domain, $files, $tests, $status,
                    COALESCE($created, CURRENT_TIMESTAMP), COALESCE($updated, $created, CURRENT_TIMESTAMP))
            RETURNING id
            """, "$id", "$title", "$context", "$options", "$decision", "$rationale", "$domain", "$files", "$tests", "$status", "$created", "$updated");
        var decision = record.Decision;
        insert.Parameters["$id"].Value = (object?)id ?? DBNull.Value;
        insert.Parameters["$title"].Value = decision.Title;
        insert.Parameters["$context"].Value = decision.Context;
        insert.Parameters["$options"].Value = decision.Options;
        insert.Parameters["$decision"].Value = decision.Decision;
        insert.Parameters["$rationale"].Value = decision.Rationale;
        insert.Parameters["$domain"].Value = decision.Domain;
        insert.Parameters["$files"].Value = decision.Files;
        insert.Parameters["$tests"].Value = decision.Tests;
        insert.Parameters["$status"].Value = record.Status;
        insert.Parameters["$created"].Value = (object?)record.CreatedAt ?? DBNull.Value;
        insert.Parameters["$updated"].Value = (object?)record.UpdatedAt ?? DBNull.Value;
        return Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static DateOnly DateOf(string? timestamp) =>
        DateTime.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? DateOnly.FromDateTime(value)
            : DateOnly.FromDateTime(DateTime.Now);
}
