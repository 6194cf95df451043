using System.Globalization;
using ElfActors.Core.Git;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Import;

/// <summary>What <c>elf reindex</c> did.</summary>
public sealed record ReindexSummary(int Learnings, int Heuristics, int Decisions, int LearningIdsFromHistory, string? MovedAside, IReadOnlyList<string> Notes);

/// <summary>
/// Rebuilds <c>memory/index.db</c> from the memory's markdown files, so the live database never needs to be in git.
/// Heuristics and decisions keep the ids their files carry (<c>H-&lt;id&gt;</c>, <c>ADR-&lt;id&gt;</c>). A learnings file
/// does not carry its id: it comes from the commit that added the file (its <c>Elf-Record</c> trailer, paired with
/// the record's title), and its created_at from that commit's time; files git knows nothing of get new ids after
/// those. The caller must hold the memory's host lock.
/// </summary>
public static class Reindexer
{
    public static ReindexSummary Run(MemoryPaths memory, IndexOptions options, bool replaceExisting, TimeProvider clock)
    {
        string? movedAside = null;
        if (File.Exists(memory.DatabasePath))
        {
            if (!replaceExisting)
                throw new ArgumentException("memory/index.db exists; reindex rebuilds it from the files: pass --force to move the current one aside first");
            var pending = OutboxQueries.Counts(memory).Pending;
            if (pending > 0)
                throw new InvalidOperationException($"{pending} records in memory/index.db still wait for a commit; run `elf flush` first");
            movedAside = "memory/index.db-before-reindex-" + clock.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            foreach (var suffix in new[] { "", "-wal", "-shm" })
                if (File.Exists(memory.DatabasePath + suffix)) File.Move(memory.DatabasePath + suffix, memory.Absolute(movedAside) + suffix);
        }

        var contents = MemoryScanner.Scan(memory, includeDatabase: false, keepContent: false);
        var notes = contents.Skipped.ToList();
        var history = History(memory);
        var learnings = AssignLearningIds(contents.Learnings, history, out var fromHistory);
        // Files carry dates only; the commit that named a record in its trailer has the time, if it is the same day.
        var trailerTimes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var commit in history) foreach (var key in commit.TrailerKeys) trailerTimes.TryAdd(key, commit.Time);
        string? TimeOf(string key, string? created) =>
            trailerTimes.TryGetValue(key, out var time) && (created is null || SameDay(created, time)) ? time : created;
        var heuristics = UniqueIds(contents.Heuristics.Select(h => h.Id is { } id && TimeOf("H-" + id.ToString(CultureInfo.InvariantCulture), h.CreatedAt) is { } t
                ? h with { CreatedAt = t, UpdatedAt = t } : h).ToList(), h => h.Id, (h, id) => h with { Id = id }, "H-", notes);
        var decisions = UniqueIds(contents.Decisions.Select(d => d.Id is { } id && TimeOf("ADR-" + id.ToString(CultureInfo.InvariantCulture), d.CreatedAt) is { } t
                ? d with { CreatedAt = t, UpdatedAt = t } : d).ToList(), d => d.Id, (d, id) => d with { Id = id }, "ADR-", notes);

        using (var index = MemoryIndex.Open(memory, options))
            index.RebuildRows(learnings, heuristics, decisions);
        // What no file carries (ELF's hooks' tables and rows, its counters) comes from the index moved aside: never dropped.
        if (movedAside is not null) notes.AddRange(ElfRowsCarrier.Carry(memory.DatabasePath, memory.Absolute(movedAside)));
        return new ReindexSummary(learnings.Count, heuristics.Count, decisions.Count, fromHistory, movedAside, notes);
    }

    /// <summary>
    /// A commit that added learnings files: its integer trailers with their records' titles, in order, the files its
    /// keyed trailers name (docs/adr/0017), in order, and its time.
    /// </summary>
    private sealed record AddingCommit(IReadOnlyList<(long Id, string Title)> Records, IReadOnlyList<string> KeyedFiles, IReadOnlyList<string> AddedFiles, string Time, IReadOnlyList<string> TrailerKeys);

    private static List<AddingCommit> History(MemoryPaths memory)
    {
        var commits = new List<AddingCommit>();
        string log;
        try
        {
            log = GitCli.Run(memory.BasePath, ["log", "--reverse", "--diff-filter=A", "--name-only", "--format=%x1e%H%x1f%aI%x1f%B%x1f", "--", "memory"]);
        }
        catch (GitStoreException)
        {
            return commits; // no repository or no commits yet
        }
        foreach (var entry in log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('\x1f');
            if (parts.Length < 4) continue;
            var time = DateTimeOffset.Parse(parts[1].Trim(), CultureInfo.InvariantCulture).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            var ids = CommitMessage.RecordIds(parts[2]).ToList();
            var titles = Titles(parts[2]);
            var records = titles.Count == ids.Count ? ids.Zip(titles).ToList() : [];
            var files = parts[3].Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            var trailers = CommitMessage.Trailers(parts[2]).ToList();
            var keyed = trailers.Where(t => t.Path is not null).Select(t => t.Path!).ToList();
            commits.Add(new AddingCommit(records, keyed, files, time, trailers.Select(t => t.Key).ToList()));
        }
        return commits;
    }

    /// <summary>The records' titles as the commit message lists them, in trailer order (see <see cref="CommitMessage.For"/>).</summary>
    private static List<string> Titles(string message)
    {
        var lines = message.Replace("\r\n", "\n").Split('\n');
        static string? TitleOf(string line)
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0) return null;
            var type = line[..colon];
            return LearningTypes.All.Contains(type) ? line[(colon + 2)..] : null;
        }
        if (!lines[0].StartsWith("elf: record ", StringComparison.Ordinal)) return TitleOf(lines[0]) is { } single ? [single] : [];
        var titles = new List<string>();
        foreach (var line in lines.Skip(1))
        {
            var detail = line.LastIndexOf(" (Domain: ", StringComparison.Ordinal);
            if (detail < 0 || !line.EndsWith(')')) continue;
            // Heuristic and decision lines have no numeric trailer: only learnings lines pair with the ids.
            if (TitleOf(line[..detail]) is { } title) titles.Add(title);
        }
        return titles;
    }

    private static List<(long? Id, LearningRecord Record)> AssignLearningIds(IReadOnlyList<LearningRecord> records, List<AddingCommit> history, out int fromHistory)
    {
        var byPath = records.ToDictionary(r => r.RelativePath, StringComparer.Ordinal);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        var times = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<long>();
        foreach (var commit in history)
        {
            var added = commit.AddedFiles.Where(byPath.ContainsKey).OrderBy(f => f.Length).ThenBy(f => f, StringComparer.Ordinal).ToList();
            foreach (var file in added) times.TryAdd(file, commit.Time);
            foreach (var (id, title) in commit.Records)
            {
                if (used.Contains(id)) continue;
                var file = added.FirstOrDefault(f => !ids.ContainsKey(f) && byPath[f].Learning.Title == title);
                if (file is null) continue;
                ids[file] = id;
                used.Add(id);
            }
        }
        // Records committed with keyed trailers carry no id: they are numbered in the order history first committed
        // them (commit by commit, trailer by trailer: the order they were acknowledged in), after the integer ones.
        var next = used.Count == 0 ? 1 : used.Max() + 1;
        foreach (var commit in history)
            foreach (var file in commit.KeyedFiles)
                if (byPath.ContainsKey(file) && ids.TryAdd(file, next)) next++;
        fromHistory = ids.Count;
        return records
            .Select(r => (Id: ids.TryGetValue(r.RelativePath, out var id) ? id : (long?)null,
                Record: times.TryGetValue(r.RelativePath, out var time) && (r.CreatedAt is null || SameDay(r.CreatedAt, time))
                    ? r with { CreatedAt = time, UpdatedAt = time } : r))
            .OrderBy(r => r.Id is null).ThenBy(r => r.Id).ThenBy(r => r.Record.CreatedAt, StringComparer.Ordinal).ThenBy(r => r.Record.RelativePath, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Whether two 'yyyy-MM-dd …' timestamps fall on the same day (a file's local date against a commit's UTC time: ±1 day).</summary>
    private static bool SameDay(string fileDate, string commitTime) =>
        DateOnly.TryParseExact(fileDate[..Math.Min(10, fileDate.Length)], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var a)
        && DateOnly.TryParseExact(commitTime[..Math.Min(10, commitTime.Length)], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var b)
        && Math.Abs(a.DayNumber - b.DayNumber) <= 1;

    private static List<T> UniqueIds<T>(IReadOnlyList<T> records, Func<T, long?> idOf, Func<T, long?, T> withId, string prefix, List<string> notes)
    {
        var seen = new HashSet<long>();
        var result = new List<T>();
        foreach (var record in records)
        {
            if (idOf(record) is { } id && !seen.Add(id))
            {
                notes.Add($"{prefix}{id} appears more than once in the files; the later one gets a new id");
                result.Add(withId(record, null));
            }
            else result.Add(record);
        }
        return result.OrderBy(r => idOf(r) is null).ThenBy(idOf).ToList();
    }
}
