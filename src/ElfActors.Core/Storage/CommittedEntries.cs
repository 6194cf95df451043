namespace ElfActors.Core.Storage;

/// <summary>Outbox entries (by outbox id, whatever their table) that are in git commit <paramref name="CommitId"/>, made at <paramref name="At"/>.</summary>
public sealed record CommittedEntries(IReadOnlyCollection<long> OutboxIds, string CommitId, DateTimeOffset At);
