using System.Text.Json;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.FaultMatrix;

/// <summary>
/// The person-operations matrix (issue #17): concurrent `elf` clients record while a person runs ordinary git in the
/// same repository; afterwards `elf flush` (and `elf verify --repair`) must leave every acknowledged record reachable
/// from the tip (its file in the tip tree, its trailer in exactly one commit of `git log`, its row in the DB), and the
/// person's commands, commits and edits intact. Counted with git, sqlite3 and the file system.
/// ELF_PERSON_RECORDS and ELF_PERSON_CLIENTS scale it (CI: 60 records from 6 clients; scripts/fault-matrix: 300 from 10);
/// ELF_PERSON_STRICT=1 also fails on any of the person's git commands that failed; ELF_PERSON_EDITOR_SECONDS is how long
/// the person's `git commit` stays in its editor (CI: 3; scripts/fault-matrix: 120).
/// </summary>
[Collection(PublishedElfCollection.Name)]
[Trait("Category", "FaultMatrix")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PersonOperationsTests(PublishedElf elf, ITestOutputHelper output)
{
    private sealed class Person(string repository)
    {
        public List<string> Failures { get; } = [];
        public int Commands { get; private set; }

        public string Git(params string[] arguments)
        {
            Commands++;
            var (code, stdout, stderr) = Tools.Run("git", repository, ["-c", "user.name=Person", "-c", "user.email=person@example.org", .. arguments]);
            if (code != 0) Failures.Add($"git {string.Join(' ', arguments)} exited {code}: {stderr.Trim()}");
            return stdout;
        }

        public void Edit(string file, string text) => File.WriteAllText(Path.Combine(repository, file), text);

        public string Read(string file) => File.ReadAllText(Path.Combine(repository, file));

        public int CommitCount()
        {
            var (code, stdout, _) = Tools.Run("git", repository, "rev-list", "--count", "HEAD");
            return code == 0 ? int.Parse(stdout.Trim()) : 0;
        }

        /// <summary>Waits (with a deadline) until the branch has at least this many commits: the host's are among them.</summary>
        public async Task WaitForCommits(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                if (CommitCount() >= count) return;
                await Task.Delay(50);
            }
            throw new TimeoutException($"the branch never reached {count} commits");
        }
    }

    private const int SeededCommits = 3;

    /// <summary>Records the editor scenario makes once the person's git commit is in its editor, for the host to hold.</summary>
    private const int EditorHeldRecords = 3;

    [Theory]
    [InlineData("reset-hard")]
    [InlineData("reset-older")]
    [InlineData("stash")]
    [InlineData("checkout")]
    [InlineData("amend")]
    [InlineData("pull-rebase")]
    [InlineData("rebase")]
    [InlineData("cherry-pick")]
    [InlineData("gc")]
    [InlineData("clone")]
    [InlineData("editor")]
    public async Task A_persons_git_during_a_load_loses_nothing_acknowledged_and_duplicates_nothing(string scenario)
    {
        var records = KillNineTests.Setting("ELF_PERSON_RECORDS", 60);
        var clients = KillNineTests.Setting("ELF_PERSON_CLIENTS", 6);
        var editorHold = TimeSpan.FromSeconds(KillNineTests.Setting("ELF_PERSON_EDITOR_SECONDS", 3));
        await using var served = new ServedMemory(elf);
        await using var cloned = scenario == "clone" ? new ServedMemory(elf) : null;
        var person = new Person(served.Base);
        var origin = Path.Combine(Path.GetTempPath(), "elf-origin-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // The person's repository: their own file, committed, before any host runs.
            Tools.Run("git", served.Base, "init", "-q");
            person.Edit("notes.txt", "the person's notes\n");
            person.Git("add", "notes.txt");
            person.Git("commit", "-qm", "person: notes");
            var branch = Tools.Git(served.Base, "symbolic-ref", "--short", "HEAD").Trim();
            if (scenario == "cherry-pick")
            {
                person.Git("checkout", "-q", "-b", "side");
                person.Edit("side.txt", "from the side branch\n");
                person.Git("add", "side.txt");
                person.Git("commit", "-qm", "person: side");
                person.Git("checkout", "-q", branch);
            }
            if (scenario == "pull-rebase")
            {
                Tools.Git(Path.GetTempPath(), "clone", "-q", "--bare", served.Base, origin);
                person.Git("remote", "add", "origin", origin);
                person.Git("fetch", "-q", "origin");
                person.Git("branch", "-q", "--set-upstream-to", "origin/" + branch);
                // Someone else pushes to the shared repository meanwhile.
                var other = origin + "-work";
                Tools.Git(Path.GetTempPath(), "clone", "-q", origin, other);
                File.WriteAllText(Path.Combine(other, "theirs.txt"), "a colleague's work\n");
                Tools.Git(other, "add", "theirs.txt");
                Tools.Git(other, "-c", "user.name=C", "-c", "user.email=c@x", "commit", "-qm", "colleague: theirs");
                Tools.Git(other, "push", "-q", "origin", "HEAD");
                Directory.Delete(other, recursive: true);
            }

            // Three records each waited into their own commit first: the history the person rewrites exists whatever the
            // host's batching makes of the load (60 records can land in two commits on a busy machine).
            var seeded = new List<ProcessResult>();
            for (var i = 0; i < SeededCommits; i++)
                seeded.Add(await elf.RunAsync(["record-failure", "--base", served.Base, "--title", $"Person {scenario} seed {i}",
                    "--domain", "person", "--request-id", $"s-{i}", "--json", "--wait-commit", "--timeout", "60"], timeout: TimeSpan.FromSeconds(120)));
            Assert.All(seeded, s => Assert.True(s.ExitCode == 0, s.ToString()));

            var load = Load(served.Base, $"Person {scenario} record", "p", records, clients);
            var held = new List<ProcessResult>(); // the editor scenario's records made while the person's git holds the index

            await person.WaitForCommits(1 + SeededCommits);
            var expectedNotes = "the person's notes\n";
            switch (scenario)
            {
                case "reset-hard":
                    for (var i = 0; i < 8 && !load.IsCompleted; i++)
                    {
                        person.Edit("notes.txt", expectedNotes + $"an edit to throw away {i}\n");
                        person.Git("reset", "-q", "--hard");
                        if (person.Read("notes.txt") != expectedNotes) person.Failures.Add($"reset --hard {i} left notes.txt as: {person.Read("notes.txt")}");
                    }
                    break;
                case "reset-older":
                {
                    // Drop the tip, wait for the host to put the branch back to at least its length, then drop three.
                    var length = person.CommitCount();
                    person.Git("reset", "-q", "--hard", "HEAD~1");
                    await person.WaitForCommits(length);
                    person.Git("reset", "-q", "--hard", "HEAD~3");
                    break;
                }
                case "stash":
                    for (var i = 0; i < 3; i++)
                    {
                        expectedNotes += $"a stashed edit {i}\n";
                        person.Edit("notes.txt", expectedNotes);
                        person.Git("stash", "-q");
                        person.Git("stash", "pop", "-q");
                        if (person.Read("notes.txt") != expectedNotes) person.Failures.Add($"stash pop {i} left notes.txt as: {person.Read("notes.txt")}");
                    }
                    break;
                case "checkout":
                    person.Git("checkout", "-q", "-b", "other");
                    person.Git("log", "-3", "--oneline");
                    person.Git("checkout", "-q", "-");
                    person.Git("checkout", "-q", "other");
                    person.Git("checkout", "-q", branch);
                    break;
                case "amend":
                    person.Git("commit", "-q", "--amend", "--no-edit");
                    person.Git("commit", "-q", "--amend", "-m", "person: amended a host commit");
                    break;
                case "pull-rebase":
                    person.Git("pull", "-q", "--rebase");
                    break;
                case "rebase":
                    person.Git("rebase", "-q", "--force-rebase", "HEAD~3");
                    break;
                case "cherry-pick":
                    person.Git("cherry-pick", "side");
                    break;
                case "gc":
                    person.Git("gc", "-q", "--prune=now");
                    person.Git("gc", "-q", "--prune=now");
                    break;
                case "clone":
                    person.Git("clone", "-q", served.Base, cloned!.Base);
                    break;
                case "editor":
                {
                    // The person's `git commit -a` of their edit sits in its editor: the host holds its commits, says
                    // whose lock it waits for, and never takes the lock; the person's commit then holds their edit.
                    var edit = expectedNotes + "committed from the editor\n";
                    using var editor = new PersonsGitCommit(served.Base, edit);
                    var opened = System.Diagnostics.Stopwatch.StartNew();
                    // The scenario's own precondition, not the load's timing: git holds index.lock (its editor is open),
                    // then records arrive for the host to hold. (The load alone can end before the editor opens: then the
                    // host has nothing to commit and never names the pid.)
                    await Until(() => editor.EditorOpen || editor.HasExited, TimeSpan.FromSeconds(60), "the person's git commit never opened its editor");
                    if (editor.HasExited) throw new InvalidOperationException("the person's git commit ended before its editor opened: " + (await editor.Release()).Errors);
                    held.AddRange(await Load(served.Base, $"Person {scenario} held record", "h", EditorHeldRecords, EditorHeldRecords));
                    var status = await StatusUntil(served.Base, s => s.Contains($"pid {editor.Pid}"), TimeSpan.FromSeconds(60));
                    output.WriteLine($"editor: elf status while the person's git commit (pid {editor.Pid}) is in its editor: " +
                        status.Split('\n').FirstOrDefault(l => l.Contains($"pid {editor.Pid}"))?.Trim());
                    var tipWhileHeld = Tools.Git(served.Base, "rev-parse", "HEAD").Trim();
                    if (opened.Elapsed < editorHold) await Task.Delay(editorHold - opened.Elapsed); // how long the person edits
                    if (editor.HasExited || !File.Exists(editor.IndexLock)) person.Failures.Add("the person's git commit ended or lost its index.lock while in its editor");
                    Assert.Equal(tipWhileHeld, Tools.Git(served.Base, "rev-parse", "HEAD").Trim()); // the host held its commits
                    var (exitCode, errors) = await editor.Release();
                    if (exitCode != 0) person.Failures.Add($"git commit -a (editor) exited {exitCode}: {errors.Trim()}");
                    expectedNotes = edit;
                    break;
                }
            }
            var results = seeded.Concat(await load).Concat(held).ToList();
            // A person whose rebase stopped part-way ends it, as they would; the host holds its commits until then.
            if (RebaseInProgress(served.Base)) person.Git("rebase", "--abort");

            var (flush, repair) = await FlushAndRepair(served.Base);
            var acknowledged = Acknowledged(results);

            // Read back with sqlite3, git and the file system.
            var (rows, tip) = ReadBack(served);
            var history = GitHistory.Log(served.Base);
            var trailers = history.SelectMany(c => c.RecordTrailers).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
            // Reachable: its row, and its file in the tip's tree. (A person's `commit --amend -m` may drop a host commit's
            // trailers: the record is still there, so a record without a trailer is counted but is not lost.)
            var lost = acknowledged.Count(a => !(rows.TryGetValue(a.Id, out var p) && p == a.Path && tip.Contains(a.Path)));
            var untrailed = acknowledged.Count(a => !trailers.ContainsKey(a.Id));
            var added = history.SelectMany(c => c.AddedFiles).GroupBy(f => f).ToDictionary(g => g.Key, g => g.Count());
            // A record committed again after a commit removed its file (a person's git that committed an index read
            // before the host staged it: docs/adr/0048) is added twice with one removal between: not a duplicate.
            var removed = history.SelectMany(c => c.DeletedFiles).GroupBy(f => f).ToDictionary(g => g.Key, g => g.Count());
            var pathOf = acknowledged.GroupBy(a => a.Id).ToDictionary(g => g.Key, g => g.First().Path);
            int Removals(long id) => pathOf.TryGetValue(id, out var path) ? removed.GetValueOrDefault(path) : 0;
            var duplicated = trailers.Count(t => t.Value - Removals(t.Key) > 1)
                + acknowledged.Count(a => added.GetValueOrDefault(a.Path) - removed.GetValueOrDefault(a.Path) > 1);
            output.WriteLine($"{scenario}: {records} records, {acknowledged.Count} acknowledged, {rows.Count} rows, {person.Commands} person commands, " +
                $"{person.Failures.Count} failed, lost = {lost}, duplicated = {duplicated}, without a trailer = {untrailed}; flush exit {flush.ExitCode}, verify --repair exit {repair.ExitCode}");
            foreach (var failure in person.Failures) output.WriteLine("  " + failure);
            if (lost > 0 || duplicated > 0)
            {
                // Each record counted, as sqlite3, git and the folder tell it, and the memory itself kept (before the host
                // stops) so that the reason can be found afterwards: a loss is never left unexplained for want of it.
                foreach (var (id, path) in acknowledged.Where(a => !(rows.TryGetValue(a.Id, out var p) && p == a.Path && tip.Contains(a.Path))))
                    output.WriteLine($"  lost: record {id} {path}: row {(rows.TryGetValue(id, out var rowPath) ? rowPath : "none")}, in the tip {tip.Contains(path)}, " +
                        $"file {File.Exists(Path.Combine(served.Base, path))}, trailers {trailers.GetValueOrDefault(id)}, " +
                        $"rows with that path {string.Join(',', rows.Where(r => r.Value == path).Select(r => r.Key))}");
                output.WriteLine($"  the memory is kept in {KeepMemory(served.Base, scenario)}");
            }

            Assert.Equal(SeededCommits + records + held.Count, acknowledged.Count);
            Assert.True(flush.ExitCode == 0, flush.ToString());
            Assert.True(repair.ExitCode == 0, repair.ToString());
            Assert.Equal(0, lost);
            Assert.Equal(0, duplicated);
            if (scenario != "amend") Assert.Equal(0, untrailed);
            // Not yet guaranteed (docs/reliability.md): a person's git that starts within the host's commit (a few
            // milliseconds) can still fail its own compare-and-swap; strict runs (scripts/fault-matrix) fail on it.
            if (Environment.GetEnvironmentVariable("ELF_PERSON_STRICT") == "1") Assert.Empty(person.Failures);
            // The person's own work: their commit, their file as they left it.
            Assert.Equal(expectedNotes, person.Read("notes.txt"));
            Assert.Contains("person: notes", Tools.Git(served.Base, "log", "--format=%s"));
            if (scenario == "cherry-pick" && person.Failures.Count == 0) Assert.Equal("from the side branch\n", Tools.Git(served.Base, "show", "HEAD:side.txt"));
            if (scenario == "pull-rebase" && person.Failures.Count == 0) Assert.Equal("a colleague's work\n", Tools.Git(served.Base, "show", "HEAD:theirs.txt"));
            if (scenario == "editor" && person.Failures.Count == 0)
            {
                // The person's commit holds exactly what they staged: their edit.
                var theirs = Tools.Git(served.Base, "log", "--format=%H", "--fixed-strings", "--grep", PersonsGitCommit.Message).Trim();
                Assert.Equal(expectedNotes, Tools.Git(served.Base, "show", theirs + ":notes.txt"));
            }
            Assert.Equal(branch, Tools.Git(served.Base, "symbolic-ref", "--short", "HEAD").Trim());
            // A person's command that failed part-way (a rebase whose last ref update lost the race) may leave their
            // index behind their branch; the host never does.
            if (person.Failures.Count == 0) Assert.Empty(Tools.Git(served.Base, "status", "--porcelain", "--untracked-files=all", "--", "memory").Trim());
            if (cloned is not null) await RecordInTheClone(cloned, acknowledged, records / 2, clients);
        }
        finally
        {
            // A body that threw before the person ended their stopped rebase (a client timed out on a loaded machine) leaves
            // the host holding its commits, correctly: the dispose's `elf stop` would then wait out its drain and report
            // that instead of what threw. The person ends it, as they would.
            if (RebaseInProgress(served.Base))
            {
                output.WriteLine("the person's rebase was still in progress after the test body: aborted before the host stops");
                person.Git("rebase", "--abort");
            }
            // The host still runs here and may be syncing with the origin: a folder it writes meanwhile is left to the temp cleaner.
            try { if (Directory.Exists(origin)) Directory.Delete(origin, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Copies a memory (its repository, index.db with its WAL, record files, host.log) while its host still runs, into
    /// ELF_TEST_KEEP_FAILED (else the temp folder); returns where.
    /// </summary>
    private static string KeepMemory(string basePath, string scenario)
    {
        var folder = Environment.GetEnvironmentVariable("ELF_TEST_KEEP_FAILED") is { Length: > 0 } keep ? keep : Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var copy = Path.Combine(folder, $"elf-kept-{scenario}-{Path.GetFileName(basePath)}");
        var (code, _, stderr) = Tools.Run("cp", folder, "-a", basePath, copy);
        return code == 0 ? copy : $"(not kept: cp exited {code}: {stderr.Trim()})";
    }

    private static bool RebaseInProgress(string repository) =>
        Directory.Exists(Path.Combine(repository, ".git", "rebase-merge")) || Directory.Exists(Path.Combine(repository, ".git", "rebase-apply"));

    /// <summary>
    /// The clone a person made during the load gets a host of its own (its index rebuilt from the files and history it
    /// has) and new records from concurrent clients: every record the clone had, every one of the original's its host
    /// brought in from its origin, and every new one is reachable from its tip with its row, none committed twice. Counted by path and by the trailers' raw keys (the rebuilt index has
    /// no outbox entries for history's records).
    /// </summary>
    private async Task RecordInTheClone(ServedMemory cloned, IReadOnlyList<(long Id, string Path)> acknowledged, int records, int clients)
    {
        var inClone = Tools.Git(cloned.Base, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var carried = acknowledged.Where(a => inClone.Contains(a.Path)).ToList();
        Assert.True(carried.Count >= SeededCommits, $"the clone holds {carried.Count} records");
        var results = await Load(cloned.Base, "Person clone new record", "c", records, clients);
        var (flush, repair) = await FlushAndRepair(cloned.Base);
        var added = Acknowledged(results);

        var (rows, tip) = ReadBack(cloned);
        var paths = rows.Values.ToHashSet();
        // The clone's host may also bring in what the original committed since (sync from its origin): those need rows too.
        var synced = acknowledged.Count(a => tip.Contains(a.Path));
        var lost = carried.Count(a => !tip.Contains(a.Path))
            + acknowledged.Count(a => tip.Contains(a.Path) && !paths.Contains(a.Path))
            + added.Count(a => !(rows.TryGetValue(a.Id, out var p) && p == a.Path && tip.Contains(a.Path)));
        var history = GitHistory.Log(cloned.Base);
        var keys = history.SelectMany(c => GitHistory.Trailers(c.Message)).GroupBy(k => k).Count(g => g.Count() > 1);
        var addedTwice = history.SelectMany(c => c.AddedFiles).GroupBy(f => f).Count(g => g.Count() > 1);
        output.WriteLine($"clone-after: {records} records, {added.Count} acknowledged, {carried.Count} carried by the clone, {synced} of the original's in its tip, {rows.Count} rows, " +
            $"lost = {lost}, duplicated = {keys + addedTwice}; flush exit {flush.ExitCode}, verify --repair exit {repair.ExitCode}");

        Assert.Equal(records, added.Count);
        Assert.True(flush.ExitCode == 0, flush.ToString());
        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(0, lost);
        Assert.Equal(0, keys + addedTwice);
        Assert.Empty(Tools.Git(cloned.Base, "status", "--porcelain", "--untracked-files=all", "--", "memory").Trim());
    }

    private async Task<(ProcessResult Flush, ProcessResult Repair)> FlushAndRepair(string basePath) =>
        (await elf.RunAsync(["flush", "--base", basePath, "--timeout", "120"], timeout: TimeSpan.FromSeconds(180)),
            await elf.RunAsync(["verify", "--repair", "--base", basePath], timeout: TimeSpan.FromSeconds(180)));

    /// <summary>The id and path of each record a client was told was recorded (exit 0, --json).</summary>
    private static List<(long Id, string Path)> Acknowledged(IEnumerable<ProcessResult> results) =>
        results.Where(r => r.ExitCode == 0)
            .Select(r => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("record"))
            .Select(r => (Id: r.GetProperty("id").GetInt64(), Path: r.GetProperty("path").GetString()!)).ToList();

    /// <summary>The learnings rows (id → path, read with sqlite3) and the files of the tip's tree (read with git).</summary>
    private static (Dictionary<long, string> Rows, HashSet<string> Tip) ReadBack(ServedMemory memory) =>
        (Tools.Sqlite(memory.Memory.DatabasePath, "SELECT id, filepath FROM learnings").ToDictionary(r => long.Parse(r[0]), r => r[1]),
            Tools.Git(memory.Base, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet());

    /// <summary><paramref name="records"/> `elf record-failure` processes, at most <paramref name="clients"/> at once.</summary>
    private async Task<ProcessResult[]> Load(string basePath, string title, string requestPrefix, int records, int clients)
    {
        using var concurrency = new SemaphoreSlim(clients);
        return await Task.WhenAll(Enumerable.Range(0, records).Select(async i =>
        {
            await concurrency.WaitAsync();
            try
            {
                return await elf.RunAsync(["record-failure", "--base", basePath, "--title", $"{title} {i}",
                    "--domain", "person", "--request-id", $"{requestPrefix}-{i}", "--json", "--timeout", "60"], timeout: TimeSpan.FromSeconds(120));
            }
            finally
            {
                concurrency.Release();
            }
        }));
    }

    /// <summary>Polls <paramref name="condition"/> (files, processes: no host involved) until it holds, or throws with <paramref name="what"/>.</summary>
    private static async Task Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            await Task.Delay(50);
        }
    }

    /// <summary>Polls `elf status` until its output meets <paramref name="condition"/>; returns that output.</summary>
    private async Task<string> StatusUntil(string basePath, Func<string, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = (await elf.RunAsync("status", "--base", basePath)).Stdout;
            if (condition(last)) return last;
            await Task.Delay(200);
        }
        throw new TimeoutException($"elf status never showed the expected state; last:\n{last}");
    }
}
