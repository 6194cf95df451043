using ElfActors.Core.Import;
using ElfActors.Core.Records;

namespace ElfActors.Core.Storage;

/// <summary>What sync's index follower needs (docs/sync.md): which files and entries have a row here, and rows for records other machines committed.</summary>
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
    /// Rows for records that arrived committed from another machine (docs/adr/0036), in one transaction: each as its
    /// kind's ELF row, numbered locally, and an outbox entry at exactly its file's path (the file is already there) with
    /// its content as it arrived, the record key its trailer gives (a new one when it has none, or that key is used
    /// here), committed in <paramref name="commitId"/>: never pending, so never committed again. A record already here
    /// is skipped: a file of its own some entry names, or a heuristic whose entry (its text's hash) an entry of that
    /// domain file already has. Returns how many were added.
    /// </summary>
    public int ImportArrived(IReadOnlyList<ArrivedRecord> arrived, string commitId, DateTimeOffset now)
    {
        var added = 0;
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var pathKnown = Command(transaction, "SELECT 1 FROM elf_outbox WHERE relpath = $p LIMIT 1", "$p");
        using var entryKnown = Command(transaction, "SELECT 1 FROM elf_outbox WHERE relpath = $p AND content_hash = $h LIMIT 1", "$p", "$h");
        using var keyKnown = Command(transaction, "SELECT 1 FROM elf_outbox WHERE record_key = $k", "$k");
        using var rows = new RecordStatements(this, transaction, Timestamp(now));
        foreach (var record in arrived)
        {
            var draft = ImportDraft(record.Record, rowId: null);
            var hash = RecordKeys.ContentHash(record.Content);
            var known = draft.File is RecordFile.Shared ? entryKnown : pathKnown;
            known.Parameters["$p"].Value = record.RelativePath;
            if (known == entryKnown) entryKnown.Parameters["$h"].Value = hash;
            if (known.ExecuteScalar() is not null) continue;
            var key = record.Key;
            if (key is not null)
            {
                keyKnown.Parameters["$k"].Value = key;
                if (keyKnown.ExecuteScalar() is not null) key = null;
            }
            key ??= RecordKeys.New();
            var rowId = rows.InsertRow(draft, record.RelativePath);
            rows.AddOutbox("sync-" + key, draft.OutboxKind, draft.Kind.RowTable, rowId, record.RelativePath, record.Content,
                draft.Subject, draft.Detail(rowId), key, commitId);
            added++;
        }
        transaction.Commit();
        return added;
    }
}
