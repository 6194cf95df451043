using System.Globalization;
using ElfActors.Core.Import;

namespace ElfActors.Core.Storage;

/// <summary>What sync's index follower needs (docs/sync.md): which files have a row here, and rows for learnings other machines committed.</summary>
public sealed partial class MemoryIndex
{
    /// <summary>Of these files, those some outbox entry here already names.</summary>
    public IReadOnlySet<string> KnownPaths(IReadOnlyCollection<string> relativePaths)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        using var transaction = _connection.BeginTransaction(deferred: true);
        using var query = Command(transaction, "SELECT 1 FROM elf_outbox WHERE relpath = $p LIMIT 1", "$p");
        foreach (var path in relativePaths)
        {
            query.Parameters["$p"].Value = path;
            if (query.ExecuteScalar() is not null) known.Add(path);
        }
        transaction.Commit();
        return known;
    }

    /// <summary>
    /// Rows for learnings that arrived committed from another machine, in one transaction: each at exactly its file's
    /// path (the file is already there), numbered locally, with the record key its trailer gives (a new one when it
    /// has none, or that key is used here), and its outbox entry committed in <paramref name="commitId"/>: never pending,
    /// so never committed again. Paths some entry already names are skipped. Returns how many were added.
    /// </summary>
    public int ImportArrivedLearnings(IReadOnlyList<(LearningRecord Record, string? Key)> arrived, string commitId, DateTimeOffset now)
    {
        var added = 0;
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var pathKnown = Command(transaction, "SELECT 1 FROM elf_outbox WHERE relpath = $p", "$p");
        using var keyKnown = Command(transaction, "SELECT 1 FROM elf_outbox WHERE record_key = $k", "$k");
        using var rows = new RecordStatements(this, transaction, Timestamp(now));
        using var insert = Command(transaction, """
            INSERT INTO elf_outbox(request_id, kind, row_table, row_id, relpath, content, subject, detail, enqueued_at, record_key, content_hash, commit_id, committed_at)
            VALUES ($request, $kind, $table, $row, $relpath, $content, $subject, $detail, $at, $key, $hash, $commit, $at)
            """, "$request", "$kind", "$table", "$row", "$relpath", "$content", "$subject", "$detail", "$at", "$key", "$hash", "$commit");
        foreach (var (record, trailerKey) in arrived)
        {
            pathKnown.Parameters["$p"].Value = record.RelativePath;
            if (pathKnown.ExecuteScalar() is not null) continue;
            var key = trailerKey;
            if (key is not null)
            {
                keyKnown.Parameters["$k"].Value = key;
                if (keyKnown.ExecuteScalar() is not null) key = null;
            }
            key ??= RecordKeys.New();
            var learning = record.Learning;
            var rowId = rows.InsertRow(ImportDraft(record, rowId: null), record.RelativePath);
            insert.Parameters["$request"].Value = "sync-" + key;
            insert.Parameters["$kind"].Value = learning.Type;
            insert.Parameters["$table"].Value = OutboxTables.Learnings;
            insert.Parameters["$row"].Value = rowId;
            insert.Parameters["$relpath"].Value = record.RelativePath;
            insert.Parameters["$content"].Value = record.Content;
            insert.Parameters["$subject"].Value = learning.Type + ": " + learning.Title;
            insert.Parameters["$detail"].Value = $"Domain: {learning.Domain} | Severity: {learning.Severity.ToString(CultureInfo.InvariantCulture)}";
            insert.Parameters["$at"].Value = Timestamp(now);
            insert.Parameters["$key"].Value = key;
            insert.Parameters["$hash"].Value = RecordKeys.ContentHash(record.Content);
            insert.Parameters["$commit"].Value = commitId;
            insert.ExecuteNonQuery();
            added++;
        }
        transaction.Commit();
        return added;
    }
}
