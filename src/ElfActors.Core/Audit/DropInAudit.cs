using System.Globalization;
using System.Text.RegularExpressions;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Storage;

namespace ElfActors.Core.Audit;

/// <summary>
/// <c>elf verify</c> for heuristics and decisions: every heuristics row has its <c>## H-&lt;id&gt;:</c> entry in its
/// domain file and that entry is on the branch; every decisions row has its <c># ADR-&lt;id&gt;:</c> file, on the
/// branch; and no entry or ADR file names a row that does not exist. Problems are reported in
/// <see cref="MemoryVerifier"/>'s lists, each line naming the record.
/// </summary>
internal static partial class DropInAudit
{
    public sealed record Findings(List<string> RowsWithoutFile, List<string> FilesWithoutRow, List<string> RowsNotInGit, int Rows);

    [GeneratedRegex(@"\A# ADR-(\d+):")]
    private static partial Regex DecisionHeading();

    /// <summary>The id an ADR file's heading (<c># ADR-&lt;id&gt;:</c> at its start) names, or null.</summary>
    public static long? DecisionHeadingId(string text) =>
        DecisionHeading().Match(text) is { Success: true } match ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// Checks the rows and files <paramref name="scratch"/> holds, one domain file at a time (its entries, on disk and at
    /// HEAD, and its rows): what is held is the largest domain file, not every heuristic (docs/adr/0050).
    /// </summary>
    public static Findings Check(MemoryPaths paths, VerifyScratch scratch)
    {
        var findings = new Findings([], [], [], (int)(scratch.Heuristics + scratch.Decisions));
        var rowsWithoutFile = new List<(long Id, string Line)>();
        var rowsNotInGit = new List<(long Id, string Line)>();
        foreach (var (id, relative) in scratch.HeuristicsWithoutDomainFile()) rowsWithoutFile.Add((id, Name(id, relative) + " has no entry for it"));

        // Heuristics: a row's entry is the one whose text its outbox entry hashed (docs/adr/0036: the H-number in a heading
        // is the writing machine's, so entries that arrived from another machine carry other numbers); a row without a
        // content hash (ELF's own, a reindexed one) or whose entry was edited is matched by its number, as ELF does.
        foreach (var relative in scratch.DomainFiles())
        {
            var entries = new DomainEntries(File.ReadAllText(paths.Absolute(relative)));
            var rows = scratch.HeuristicsOf(relative);
            var claimed = new HashSet<Entry>();
            var found = new Dictionary<long, (Entry Entry, bool ByHash)>();
            foreach (var row in rows)
            {
                if (row.Hash is null || entries.TakeByHash(row.Hash) is not { } entry) continue;
                claimed.Add(entry);
                found[row.Id] = (entry, true);
            }
            foreach (var row in rows.Where(r => !found.ContainsKey(r.Id)))
            {
                var byNumber = entries.WithId(row.Id).Where(e => !claimed.Contains(e)).ToList();
                if (byNumber.Count == 0) continue;
                found[row.Id] = (byNumber[0], false);
                claimed.UnionWith(byNumber);
            }
            DomainEntries? inGit = null;
            foreach (var row in rows)
            {
                if (!found.TryGetValue(row.Id, out var match))
                {
                    if (!row.ElfOwn) rowsWithoutFile.Add((row.Id, Name(row.Id, relative) + " has no entry for it"));
                    continue;
                }
                inGit ??= new DomainEntries(Show(paths, relative));
                var committed = match.ByHash ? inGit.HasHash(match.Entry.Hash) : inGit.WithId(row.Id).Count > 0;
                if (!committed && !row.Pending) rowsNotInGit.Add((row.Id, Name(row.Id, relative)));
            }
            foreach (var entry in entries.All.Where(e => !claimed.Contains(e)))
                findings.FilesWithoutRow.Add($"{relative}: H-{entry.Id.ToString(CultureInfo.InvariantCulture)} has no heuristics row");
        }
        findings.RowsWithoutFile.AddRange(rowsWithoutFile.OrderBy(r => r.Id).Select(r => r.Line));
        findings.RowsNotInGit.AddRange(rowsNotInGit.OrderBy(r => r.Id).Select(r => r.Line));

        // Decisions: one file per row, the one its outbox entry names; else (ELF's own rows) the file headed with its id.
        foreach (var (id, relative) in scratch.DecisionsToReport())
        {
            var name = "decision ADR-" + id.ToString(CultureInfo.InvariantCulture);
            if (relative is null) findings.RowsWithoutFile.Add(name + ": no file headed with it in memory/decisions/");
            else findings.RowsNotInGit.Add($"{name}: {relative}");
        }
        foreach (var (relative, id) in scratch.DecisionFilesWithoutRow())
            findings.FilesWithoutRow.Add($"{relative}: ADR-{id.ToString(CultureInfo.InvariantCulture)} has no decisions row");
        return findings;
    }

    private static string Name(long id, string relative) => $"heuristic H-{id.ToString(CultureInfo.InvariantCulture)}: {relative}";

    /// <summary>One entry of a domain file: its heading's number and the hash of its text (a class: two equal entries are two).</summary>
    private sealed class Entry(long id, string hash)
    {
        public long Id { get; } = id;
        public string Hash { get; } = hash;
    }

    /// <summary>A domain file's entries, found by their text's hash or their number in O(1): a row's lookup is not a scan of the file.</summary>
    private sealed class DomainEntries
    {
        private readonly Dictionary<string, Queue<Entry>> _byHash = new(StringComparer.Ordinal);
        private readonly Dictionary<long, List<Entry>> _byId = [];

        public DomainEntries(string text)
        {
            All = HeuristicMarkdown.Parse(text).Select(e => new Entry(e.Id, RecordKeys.ContentHash(e.Text))).ToList();
            foreach (var entry in All)
            {
                if (!_byHash.TryGetValue(entry.Hash, out var same)) _byHash[entry.Hash] = same = new Queue<Entry>();
                same.Enqueue(entry);
                if (!_byId.TryGetValue(entry.Id, out var numbered)) _byId[entry.Id] = numbered = [];
                numbered.Add(entry);
            }
        }

        public IReadOnlyList<Entry> All { get; }

        /// <summary>The first entry with this text's hash that no row took yet, taken; null when none is left.</summary>
        public Entry? TakeByHash(string hash) => _byHash.TryGetValue(hash, out var same) && same.Count > 0 ? same.Dequeue() : null;

        public bool HasHash(string hash) => _byHash.ContainsKey(hash);

        public IReadOnlyList<Entry> WithId(long id) => _byId.TryGetValue(id, out var numbered) ? numbered : [];
    }

    private static string Show(MemoryPaths paths, string relative)
    {
        try
        {
            return GitCli.Run(paths.BasePath, ["show", "HEAD:" + relative]);
        }
        catch (GitStoreException)
        {
            return string.Empty; // not on the branch (or no commit yet)
        }
    }
}
