using System.Globalization;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Import;

/// <summary>What <c>elf reindex</c> did.</summary>
public sealed record ReindexSummary(int Learnings, int Heuristics, int Decisions, int LearningIdsFromHistory, string? MovedAside, IReadOnlyList<string> Notes)
{
    /// <summary>Records the working tree held and the tip did not, queued for a commit (only when asked to).</summary>
    public int Queued { get; init; }
}

/// <summary>
/// Rebuilds <c>memory/index.db</c> from the memory's markdown files, so the live database never needs to be in git.
/// Heuristics and decisions keep the ids their files carry (<c>H-&lt;id&gt;</c>, <c>ADR-&lt;id&gt;</c>). A learnings file
/// does not carry its id: it comes from the commit that added the file (its <c>Elf-Record</c> trailer, paired with
/// the record's title), and its created_at from that commit's time; files git knows nothing of get new ids after
/// those. Records the branch's tip holds get the record key history gives them (docs/adr/0045), so that a row is
/// known by its key on every machine after a reindex too. The caller must hold the memory's host lock.
/// </summary>
public static class Reindexer
{
    /// <param name="queueUncommitted">
    /// A record the working tree holds and the tip does not (acknowledged, never committed: a host stopped before its
    /// commit, then the index lost) gets a pending outbox entry under a new key, so that the next host commits it. A
    /// host's rebuild of a missing index asks for it; <c>elf reindex</c> does not (it refuses while records are pending).
    /// </param>
    public static ReindexSummary Run(MemoryPaths memory, IndexOptions options, bool replaceExisting, TimeProvider clock, bool queueUncommitted = false)
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

        var notes = new List<string>();
        using var scratch = ReindexScratch.Create(memory);
        foreach (var learning in MemoryScanner.LearningFiles(memory, notes)) scratch.AddFile(learning);
        scratch.FilesScanned();
        var heuristicFiles = MemoryScanner.ScanHeuristicFiles(memory);
        var decisionFiles = MemoryScanner.ScanDecisionFiles(memory, notes);
        History.Read(memory, scratch);
        var fromHistory = scratch.HistoryRead();
        string? TimeOf(string key, string? created) =>
            scratch.TrailerTime(key) is { } time && (created is null || SameDay(created, time)) ? time : created;
        var heuristics = UniqueIds(heuristicFiles.Select(h => h.Id is { } id && TimeOf("H-" + id.ToString(CultureInfo.InvariantCulture), h.CreatedAt) is { } t
                ? h with { CreatedAt = t, UpdatedAt = t } : h).ToList(), h => h.Id, (h, id) => h with { Id = id }, "H-", notes);
        var decisions = UniqueIds(decisionFiles.Select(d => d.Id is { } id && TimeOf("ADR-" + id.ToString(CultureInfo.InvariantCulture), d.CreatedAt) is { } t
                ? d with { CreatedAt = t, UpdatedAt = t } : d).ToList(), d => d.Id, (d, id) => d with { Id = id }, "ADR-", notes);

        var identities = new Identities(memory, scratch, queueUncommitted);
        using (var index = MemoryIndex.Open(memory, options))
            index.RebuildRows(scratch.Learnings(), heuristics, decisions, identities.Of);
        // What no file carries (ELF's hooks' tables and rows, its counters) comes from the index moved aside: never dropped.
        if (movedAside is not null) notes.AddRange(ElfRowsCarrier.Carry(memory.DatabasePath, memory.Absolute(movedAside)));
        return new ReindexSummary(scratch.FileCount, heuristics.Count, decisions.Count, fromHistory, movedAside, notes) { Queued = identities.Queued };
    }

    /// <summary>
    /// What one pass over the memory's history (<c>git log</c>, oldest first, read commit by commit as git writes it, never
    /// as one string) tells reindex: learnings ids from integer trailers (paired with titles) and the order keyed trailers
    /// first named files in, when each file was added and each trailer key first committed, and the record keys
    /// (with their commits) that <c>Elf-Record</c> trailers give files and <c>Elf-Entry</c> trailers give entries of shared
    /// files (docs/adr/0045). What it learns goes to the scratch database (docs/adr/0051); no commit's text outlives its parsing.
    /// </summary>
    private sealed class History
    {
        private readonly ReindexScratch _scratch;

        private History(ReindexScratch scratch) => _scratch = scratch;

        public static void Read(MemoryPaths memory, ReindexScratch scratch)
        {
            var history = new History(scratch);
            // Per commit: "\x1e<id>\x1f<author time>", the message's lines, a line ending in "\x1f", then its files' "<status>\t<path>".
            string? commit = null, time = null;
            var message = new System.Text.StringBuilder();
            var inMessage = false;
            var added = new List<string>();
            void Flush()
            {
                if (commit is not null && time is not null) history.Add(commit, time, message.ToString(), added);
                message.Clear();
                added.Clear();
            }
            try
            {
                GitCli.RunStreamed(memory.BasePath, [.. DeltaBaseCache(memory), "-c", "core.quotePath=false", "log", "--reverse", "--name-status", "--format=%x1e%H%x1f%aI%n%B%x1f", "--", "memory"], '\n', line =>
                {
                    if (line.StartsWith('\x1e'))
                    {
                        Flush();
                        var fields = line[1..].Split('\x1f');
                        (commit, time) = fields.Length == 2 ? (fields[0], fields[1].Trim()) : (null, null);
                        inMessage = true;
                    }
                    else if (inMessage)
                    {
                        var end = line.EndsWith('\x1f');
                        message.Append(end ? line[..^1] : line).Append('\n');
                        inMessage = !end;
                    }
                    else if (line.StartsWith("A\t", StringComparison.Ordinal)) added.Add(line[2..]);
                });
                Flush();
            }
            catch (GitStoreException)
            {
                // no repository or no commits yet: what was read (nothing) stands
            }
        }

        /// <summary>
        /// git's cache of delta bases for the walk, room for five of the largest folder listing the tip holds where git's
        /// default (96 MiB) is less. Every tree of a packed history but a few is stored as a delta on another version of
        /// itself, up to 50 deep, and <c>--name-status</c> reads two trees a commit; a memory's flat folder makes its tree
        /// about 60 bytes a file (60 MB at 1,000,000 records). With fewer than two of them in the cache git rebuilds each
        /// tree from the start of its chain: 7.6 s for one tree at 1,000,000 records and a walk of 100 commits 8 minutes,
        /// 110× the walk at 100,000 (docs/adr/0051). The cache lives in git's process and is freed when the walk ends.
        /// </summary>
        private static string[] DeltaBaseCache(MemoryPaths memory)
        {
            const long gitDefault = 96L << 20;
            try
            {
                var trees = GitCli.Run(memory.BasePath, ["ls-tree", "-z", "HEAD", "--", "memory/"])
                    .Split('\0', StringSplitOptions.RemoveEmptyEntries)
                    .Select(entry => entry.Split('\t', 2)[0].Split(' '))
                    .Where(fields => fields is [_, "tree", _])
                    .Select(fields => fields[2])
                    .ToList();
                if (trees.Count == 0) return [];
                var largest = GitCli.Run(memory.BasePath, ["cat-file", "--batch-check=%(objectsize)"], string.Join('\n', trees) + "\n")
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Max(size => long.Parse(size, NumberStyles.None, CultureInfo.InvariantCulture));
                return 5 * largest > gitDefault ? ["-c", "core.deltaBaseCacheLimit=" + (5 * largest).ToString(CultureInfo.InvariantCulture)] : [];
            }
            catch (GitStoreException)
            {
                return []; // no repository or no commit yet: git's default
            }
        }

        private void Add(string commit, string authorTime, string message, List<string> addedFiles)
        {
            var time = DateTimeOffset.Parse(authorTime, CultureInfo.InvariantCulture).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            var trailers = CommitMessage.Trailers(message).ToList();
            foreach (var (key, path) in trailers)
            {
                _scratch.TrailerNamed(key, time);
                if (path is not null) _scratch.FileKeyNamed(path, key, commit);
            }
            foreach (var (key, path, hash) in CommitMessage.EntriesWithFile(message)) _scratch.EntryKeyNamed(path, hash, key, commit);

            // Learnings ids from integer trailers, paired with the records' titles, in the order history gives them.
            var added = new List<(string Path, string Title, bool HasId)>();
            foreach (var file in addedFiles)
                if (_scratch.Scanned(file) is { } scanned) added.Add((file, scanned.Title, scanned.HasId));
            added.Sort((a, b) => a.Path.Length != b.Path.Length ? a.Path.Length.CompareTo(b.Path.Length) : string.CompareOrdinal(a.Path, b.Path));
            foreach (var file in added) _scratch.Added(file.Path, time);
            var ids = CommitMessage.RecordIds(message).ToList();
            var titles = Titles(message);
            if (titles.Count == ids.Count && ids.Count > 0)
            {
                // Each id goes to the first added file (in the order above) with its title and no id yet: the files
                // waiting for an id queued by title, so that a commit of n records costs O(n), not O(n²).
                var waiting = new Dictionary<string, Queue<string>>(StringComparer.Ordinal);
                foreach (var file in added)
                    if (!file.HasId)
                    {
                        if (!waiting.TryGetValue(file.Title, out var queue)) waiting[file.Title] = queue = new Queue<string>();
                        queue.Enqueue(file.Path);
                    }
                var given = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (id, title) in ids.Zip(titles))
                {
                    if (!waiting.TryGetValue(title, out var queue) || _scratch.IdTaken(id)) continue;
                    while (queue.Count > 0 && given.Contains(queue.Peek())) queue.Dequeue(); // a path git listed twice
                    if (!queue.TryDequeue(out var file)) continue;
                    _scratch.SetId(file, id);
                    given.Add(file);
                }
            }
            foreach (var (_, path) in trailers)
                if (path is not null) _scratch.Keyed(path);
        }
    }

    /// <summary>
    /// The identity a rebuilt row gets (docs/adr/0045), for records the branch's tip holds: a learnings or decision file
    /// its keyed <c>Elf-Record</c> trailer's key; a heuristic entry its <c>Elf-Entry</c> trailer's key, else the key every
    /// clone derives from the entry (<see cref="RecordKeys.ForEntry"/>), as arrival gives it. A record the tip does not
    /// hold (not committed yet, or a person removed it) gets none, as before: its row is matched by path or number; or,
    /// when uncommitted records are queued, a new key and a pending entry (its file or entry is in the working tree).
    /// </summary>
    private sealed class Identities(MemoryPaths memory, ReindexScratch scratch, bool queueUncommitted)
    {
        /// <summary>How many rows got a pending entry (uncommitted records queued).</summary>
        public int Queued { get; private set; }

        private readonly Dictionary<string, string> _domainTexts = new(StringComparer.Ordinal);
        private bool _tipRead;
        private string? _tip;

        public RebuiltIdentity? Of(object record)
        {
            switch (record)
            {
                case LearningRecord learning when scratch.FileKey(learning.RelativePath) is { } named && InTip(learning.RelativePath):
                    string content;
                    try
                    {
                        content = File.ReadAllText(memory.Absolute(learning.RelativePath));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        return null; // gone since the scan
                    }
                    return Claim(named.Key, named.Commit, learning.RelativePath, content);
                case LearningRecord learning when queueUncommitted && !InTip(learning.RelativePath):
                    try
                    {
                        return Queue(learning.RelativePath, File.ReadAllText(memory.Absolute(learning.RelativePath)));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        return null; // gone since the scan
                    }
                case DecisionRecord { RelativePath: { } path, Content: { } text } when scratch.FileKey(path) is { } named && InTip(path):
                    return Claim(named.Key, named.Commit, path, text);
                case DecisionRecord { RelativePath: { } path, Content: { } text } when queueUncommitted && !InTip(path):
                    return Queue(path, text);
                case HeuristicRecord { EntryText: { } text } heuristic:
                    var file = HeuristicMarkdown.RelativePath(heuristic.Heuristic.Domain);
                    if (!DomainTextAtTip(file).Contains(text, StringComparison.Ordinal)) return queueUncommitted ? Queue(file, text) : null;
                    if (scratch.EntryKey(file, RecordKeys.ContentHash(text)) is { } entry) return Claim(entry.Key, entry.Commit, file, text);
                    // The entry's own Created date, as arrival reads it (the row's time may be its commit's, a day off).
                    var created = HeuristicMarkdown.Parse(text) is [var parsed] ? parsed.Created : null;
                    return Tip() is { } tip ? Claim(RecordKeys.ForEntry(file, text, created), tip, file, text) : null;
                default:
                    return null;
            }
        }

        /// <summary>A key is one record's: a second record with the same key (a copied file, a repeated entry) gets none.</summary>
        private RebuiltIdentity? Claim(string key, string commit, string path, string content) =>
            scratch.Claim(key) ? new RebuiltIdentity(key, commit, path, content) : null;

        /// <summary>An uncommitted record: a new key, no commit (its outbox entry is pending).</summary>
        private RebuiltIdentity Queue(string path, string content)
        {
            Queued++;
            return new RebuiltIdentity(RecordKeys.New(), null, path, content);
        }

        private string? Tip() => _tip ??= GitCli.Resolve(memory.BasePath, "HEAD");

        /// <summary>Whether the tip holds the path: its listing is read into the scratch database the first time.</summary>
        private bool InTip(string path)
        {
            if (!_tipRead)
            {
                _tipRead = true;
                if (Tip() is not null) GitCli.RunStreamed(memory.BasePath, ["ls-tree", "-r", "--name-only", "-z", "HEAD", "--", "memory"], '\0', scratch.AddTipFile);
            }
            return scratch.InTip(path);
        }

        /// <summary>A domain file's text in the tip, as <see cref="HeuristicMarkdown.Parse"/> reads entries (LF line ends).</summary>
        private string DomainTextAtTip(string path)
        {
            if (_domainTexts.TryGetValue(path, out var text)) return text;
            var blob = Tip() is null ? null : GitCli.TryRun(memory.BasePath, ["cat-file", "blob", "HEAD:" + path]) as GitResult?;
            return _domainTexts[path] = blob is { Succeeded: true } found ? found.Stdout.Replace("\r\n", "\n") : string.Empty;
        }
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

    /// <summary>Whether two 'yyyy-MM-dd …' timestamps fall on the same day (a file's local date against a commit's UTC time: ±1 day).</summary>
    internal static bool SameDay(string fileDate, string commitTime) =>
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
