using System.Globalization;
using ElfActors.Core.Records;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

public sealed partial class MemoryIndex
{
    /// <summary>What storing one record gave it: its row id, its file, and its outbox entry.</summary>
    private readonly record struct StoredRecord(long RecordId, string RelativePath, string Content, string Subject, string Detail, long OutboxId, string RecordKey);

    /// <summary>
    /// One transaction's statements for storing records of any kind: a row insert per table and set of columns
    /// (prepared once, reused for every record of the batch), and the outbox insert.
    /// </summary>
    private sealed class RecordStatements(MemoryIndex index, SqliteTransaction transaction, string enqueuedAt) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _rowInserts = new(StringComparer.Ordinal);
        private SqliteCommand? _outbox;

        /// <param name="pathTaken">Asks the outbox whether a name is taken; null where its unique index on file names guards the insert instead.</param>
        public StoredRecord Store(string requestId, RecordDraft draft, SqliteCommand? pathTaken)
        {
            var relativePath = draft.File switch
            {
                RecordFile.Own own => index.FreePath(pathTaken, own.Folder, own.Stem),
                RecordFile.Shared shared => shared.RelativePath,
                _ => throw new ArgumentException("unknown file layout " + draft.File, nameof(draft)),
            };
            var rowId = InsertRow(draft, relativePath);
            var content = draft.Render(rowId);
            var subject = draft.Subject;
            var detail = draft.Detail(rowId);
            var (outboxId, recordKey) = AddOutbox(requestId, draft.OutboxKind, draft.Kind.RowTable, rowId, relativePath, content, subject, detail);
            return new StoredRecord(rowId, relativePath, content, subject, detail, outboxId, recordKey);
        }

        /// <summary>The draft's ELF row (with the id and timestamps import and reindex give it, else the table's defaults); its id.</summary>
        public long InsertRow(RecordDraft draft, string relativePath)
        {
            IReadOnlyList<(string Column, object? Value)> columns = draft.Row(relativePath);
            var updatedAt = draft.UpdatedAt ?? draft.CreatedAt;
            if (draft.RowId is not null || updatedAt is not null)
            {
                var all = new List<(string Column, object? Value)>(columns.Count + 3);
                if (draft.RowId is { } id) all.Add(("id", id));
                all.AddRange(columns);
                if (draft.CreatedAt is { } createdAt) all.Add(("created_at", createdAt));
                if (updatedAt is not null) all.Add(("updated_at", updatedAt));
                columns = all;
            }
            var table = draft.Kind.RowTable;
            var key = table + "(" + string.Join(',', columns.Select(c => c.Column)) + ")";
            if (!_rowInserts.TryGetValue(key, out var insert))
            {
                var names = Enumerable.Range(0, columns.Count).Select(i => "$c" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
                insert = index.Command(transaction,
                    $"INSERT INTO {table}({string.Join(", ", columns.Select(c => c.Column))}) VALUES ({string.Join(", ", names)}) RETURNING id", names);
                _rowInserts[key] = insert;
            }
            for (var i = 0; i < columns.Count; i++) insert.Parameters[i].Value = columns[i].Value ?? DBNull.Value;
            return Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        /// <summary>The outbox entry of a stored row: everything needed to write its file again and commit it.</summary>
        /// <param name="recordKey">The record's key where it has one already (a record that arrived from another machine); else a new one.</param>
        /// <param name="commitId">The commit that already holds the record (it arrived committed): the entry is never pending.</param>
        public (long OutboxId, string RecordKey) AddOutbox(string requestId, string kind, string table, long rowId, string relativePath,
            string content, string subject, string detail, string? recordKey = null, string? commitId = null)
        {
            _outbox ??= index.Command(transaction, """
                INSERT INTO elf_outbox(request_id, kind, row_table, row_id, relpath, content, subject, detail, enqueued_at, record_key, content_hash, commit_id, committed_at)
                VALUES ($request, $kind, $table, $row, $relpath, $content, $subject, $detail, $at, $key, $hash, $commit, CASE WHEN $commit IS NULL THEN NULL ELSE $at END) RETURNING id
                """, "$request", "$kind", "$table", "$row", "$relpath", "$content", "$subject", "$detail", "$at", "$key", "$hash", "$commit");
            recordKey ??= RecordKeys.New();
            _outbox.Parameters["$request"].Value = requestId;
            _outbox.Parameters["$kind"].Value = kind;
            _outbox.Parameters["$table"].Value = table;
            _outbox.Parameters["$row"].Value = rowId;
            _outbox.Parameters["$relpath"].Value = relativePath;
            _outbox.Parameters["$content"].Value = content;
            _outbox.Parameters["$subject"].Value = subject;
            _outbox.Parameters["$detail"].Value = detail;
            _outbox.Parameters["$at"].Value = enqueuedAt;
            _outbox.Parameters["$key"].Value = recordKey;
            _outbox.Parameters["$hash"].Value = RecordKeys.ContentHash(content);
            _outbox.Parameters["$commit"].Value = (object?)commitId ?? DBNull.Value;
            return (Convert.ToInt64(_outbox.ExecuteScalar(), CultureInfo.InvariantCulture), recordKey);
        }

        public void Dispose()
        {
            foreach (var insert in _rowInserts.Values) insert.Dispose();
            _outbox?.Dispose();
        }
    }
}
