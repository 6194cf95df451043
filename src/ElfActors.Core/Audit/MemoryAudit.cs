namespace ElfActors.Core.Audit;

/// <summary>A record the caller was told was stored: what the audit checks for.</summary>
public sealed record AcknowledgedRecord(long RecordId, string RelativePath);

/// <summary>What the database, the folder and git history say about a set of acknowledged records.</summary>
public sealed record AuditReport(
    int Acknowledged,
    int Rows,
    int Files,
    int InExactlyOneCommit,
    int InNoCommit,
    int InSeveralCommits,
    int Commits,
    IReadOnlyList<string> WorkingTreeChanges)
{
    public bool StateConsistent => Rows == Acknowledged && Files == Acknowledged;
    public bool GitConsistent => InExactlyOneCommit == Acknowledged;
    public bool WorkingTreeClean => WorkingTreeChanges.Count == 0;
}

/// <summary>
/// Checks records against the memory itself — a fresh read-only SQLite connection, the files on disk and
/// <c>git log</c> / <c>git status</c> from the git executable — never against the actors' own bookkeeping.
/// </summary>
public static class MemoryAudit
{
    public static AuditReport Run(MemoryPaths paths, IReadOnlyCollection<AcknowledgedRecord> records)
    {
        var rows = MemoryReader.FailureRows(paths);
        var rowCount = records.Count(r => rows.TryGetValue(r.RecordId, out var filepath) && filepath == r.RelativePath);
        var fileCount = records.Count(r => File.Exists(paths.Absolute(r.RelativePath)));

        var (trailers, idsByCommit) = MemoryReader.Trailers(paths);
        var tracked = MemoryReader.TrackedFiles(paths);
        var ids = records.Select(r => r.RecordId).ToHashSet();
        var once = records.Count(r => trailers.GetValueOrDefault(r.RecordId) == 1 && tracked.Contains(r.RelativePath));
        var none = records.Count(r => !trailers.ContainsKey(r.RecordId));
        var several = records.Count(r => trailers.GetValueOrDefault(r.RecordId) > 1);
        var commits = idsByCommit.Count(c => c.Value.Overlaps(ids));
        return new AuditReport(records.Count, rowCount, fileCount, once, none, several, commits, MemoryReader.WorkingTreeChanges(paths));
    }
}
