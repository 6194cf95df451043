using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ElfActors.Core.Import;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>
/// A rebuilt row's identity from history (docs/adr/0045): its record key, the commit that holds it (null: not committed
/// yet, its entry is pending), and its outbox entry's file and content.
/// </summary>
public sealed record RebuiltIdentity(string Key, string? CommitId, string RelativePath, string Content);

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
        using var statements = new RecordStatements(this, transaction, Timestamp(now));
        foreach (var record in records)
        {
            var requestId = ImportRequestId(record);
            requestKnown.Parameters["$r"].Value = requestId;
            if (requestKnown.ExecuteScalar() is not null) continue;
            requestKnown.Parameters["$r"].Value = LegacyImportRequestId(record);
            if (requestKnown.ExecuteScalar() is not null) continue;

            var draft = ImportDraft(record, rowId: null);
            var s = statements.Store(requestId, draft, pathTaken);
            stored.Add(new OutboxEntry(s.RecordId, draft.OutboxKind, s.RelativePath, s.Content, s.Subject, s.Detail, now, draft.Kind.RowTable, s.OutboxId, s.RecordKey));
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

    /// <summary>
    /// A record read from a memory as its kind's draft: its file's own name and text where it had them, ELF's
    /// timestamps and counters where its row had them, and the row id reindex gives it (null for a new one).
    /// </summary>
    private static RecordDraft ImportDraft(object record, long? rowId) => record switch
    {
        LearningRecord l => new LearningDraft(l.Learning, DateOnly.FromDateTime(DateTime.UtcNow),
            stem: l.RelativePath.StartsWith(LearningTypes.Folder(l.Learning.Type), StringComparison.Ordinal) ? Path.GetFileNameWithoutExtension(l.RelativePath) : null,
            content: l.Content, summaryInRow: l.SummaryInRow) { RowId = rowId, CreatedAt = l.CreatedAt, UpdatedAt = l.UpdatedAt },
        HeuristicRecord h => new HeuristicDraft(h.Heuristic, DateOf(h.CreatedAt),
            [("source_id", h.SourceId), ("times_validated", h.TimesValidated), ("times_violated", h.TimesViolated), ("is_golden", h.IsGolden)])
            { RowId = rowId, CreatedAt = h.CreatedAt, UpdatedAt = h.UpdatedAt },
        DecisionRecord d => new DecisionDraft(d.Decision, DateOf(d.CreatedAt),
            stem: d.RelativePath is { } path ? Path.GetFileNameWithoutExtension(path) : null, status: d.Status,
            render: d is { Content: { } text, Id: { } oldId } ? rowId => WithAdrId(text, oldId, rowId) : null)
            { RowId = rowId, CreatedAt = d.CreatedAt, UpdatedAt = d.UpdatedAt },
        _ => throw new ArgumentException("not an importable record: " + record.GetType().Name, nameof(record)),
    };

    /// <summary>A decision file is headed with its row's id: the source's text, with its old id replaced by the new one.</summary>
    private static string WithAdrId(string text, long oldId, long rowId)
    {
        var adr = "ADR-" + rowId.ToString(CultureInfo.InvariantCulture);
        return text.Replace("ADR-" + oldId.ToString(CultureInfo.InvariantCulture) + ":", adr + ":", StringComparison.Ordinal)
            .Replace("**ID**: ADR-" + oldId.ToString(CultureInfo.InvariantCulture), "**ID**: " + adr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Reindex: stores rows rebuilt from the files, with the ids the files (or git history) give them. A record whose key
    /// history gives (<paramref name="identityOf"/>, docs/adr/0045) also gets its outbox entry, committed in the commit
    /// that named it, as if it had been recorded or had arrived here; the others get none (the files are already in git).
    /// Meant for a fresh database.
    /// </summary>
    public void RebuildRows(IEnumerable<(long? Id, LearningRecord Record)> learnings, IReadOnlyList<HeuristicRecord> heuristics, IReadOnlyList<DecisionRecord> decisions,
        Func<object, RebuiltIdentity?>? identityOf = null)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        using var statements = new RecordStatements(this, transaction, Timestamp(DateTimeOffset.UtcNow));
        void Insert(object record, long? id, string relativePath)
        {
            var draft = ImportDraft(record, id);
            var rowId = statements.InsertRow(draft, relativePath);
            if (identityOf?.Invoke(record) is not { } identity) return;
            statements.AddOutbox("reindex-" + identity.Key, draft.OutboxKind, draft.Kind.RowTable, rowId, identity.RelativePath, identity.Content,
                draft.Subject, draft.Detail(rowId), identity.Key, identity.CommitId);
        }
        foreach (var (id, record) in learnings) Insert(record, id, record.RelativePath);
        foreach (var heuristic in heuristics) Insert(heuristic, heuristic.Id, string.Empty);
        foreach (var decision in decisions) Insert(decision, decision.Id, string.Empty);
        transaction.Commit();
    }

    private static DateOnly DateOf(string? timestamp) =>
        DateTime.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? DateOnly.FromDateTime(value)
            : DateOnly.FromDateTime(DateTime.Now);
}
