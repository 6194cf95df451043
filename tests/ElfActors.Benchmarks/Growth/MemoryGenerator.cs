using System.Diagnostics;
using System.Globalization;
using System.Text;
using ElfActors.Contracts;
using ElfActors.Core;
using ElfActors.Core.Git;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Records.Kinds;
using ElfActors.Core.Storage;

namespace ElfActors.Benchmarks.Growth;

/// <summary>
/// Builds a memory of N failure records as the host writes them: each batch goes through the domain code (validated,
/// rendered by <see cref="FailureMarkdown"/>, stored by <see cref="MemoryIndex.InsertFailures"/> with its outbox
/// entry), its files are written, one commit per batch carries the host's message (<see cref="CommitMessage.For"/>,
/// one trailer per record), and the entries are marked committed. Commits go through one `git fast-import` (blobs
/// inline, the commit's id read back with get-mark), not one `git commit` per batch. The folder's tree is not built by
/// fast-import, which looks a path up among its folder's entries one by one (O(files) a file: 70 minutes for a flat
/// folder of a million), but by `git mktree` from every file's name and blob id so far, and given to the commit whole
/// (`M 040000`): the same trees, commits and history. The result is a repository with N tracked files and an index.db
/// with N rows, nothing pending.
/// </summary>
internal static class MemoryGenerator
{
    public static void Generate(string basePath, int records, int perCommit, Action<int>? progress = null)
    {
        var paths = new MemoryPaths(basePath);
        Directory.CreateDirectory(basePath);
        Compare.Git.Run(basePath, "init", "-q", "-b", "main", ".");
        Compare.Git.Run(basePath, "config", "user.name", "bench");
        Compare.Git.Run(basePath, "config", "user.email", "bench@localhost");
        var options = ElfActors.Actors.ElfSettings.Default.Index with { Synchronous = SynchronousMode.Off };
        MemoryBootstrap.Prepare(paths, options, flushFilesToDisk: false);

        var start = new ProcessStartInfo("git", ["fast-import", "--quiet", "--cat-blob-fd=1", "--force"])
        {
            WorkingDirectory = basePath, RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        using var import = Process.Start(start)!;
        var input = import.StandardInput.BaseStream;
        var output = import.StandardOutput;
        void Write(string text) => input.Write(Encoding.UTF8.GetBytes(text));

        // memory/failures/ as the commits so far leave it: "<mode> <type> <id>\t<name>", as `git mktree` reads them.
        var folder = LearningTypes.Folder(LearningTypes.Failure);
        var entries = new List<string>();
        if (HasHead(basePath))
            entries.AddRange(Compare.Git.Run(basePath, "ls-tree", "HEAD", "--", folder).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Replace("\t" + folder, "\t", StringComparison.Ordinal)));

        using var index = MemoryIndex.Open(paths, options);
        var day0 = new DateOnly(2020, 1, 1);
        var time = new DateTimeOffset(2020, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var mark = 0;
        for (var done = 0; done < records; done += perCommit)
        {
            var count = Math.Min(perCommit, records - done);
            var batch = new List<RecordInsert>(count);
            for (var i = done; i < done + count; i++)
            {
                var date = day0.AddDays(i / 1000);
                var input1 = new LearningInput($"Growth record {i}", "growth-" + (i % 50).ToString(CultureInfo.InvariantCulture), "2", "bench,growth",
                    $"Record {i} of a generated memory: a summary of ordinary length, one line, as agents write them.");
                if (LearningValidator.Validate(input1, out var failure).Count > 0) throw new InvalidOperationException("generated input is invalid");
                batch.Add(new RecordInsert(RequestId.New(), new LearningDraft(failure!, date)));
            }
            var at = time.AddMinutes(done / (double)perCommit);
            var outcomes = index.InsertRecords(batch, at);
            if (outcomes.Any(o => o is not InsertOutcome.Inserted)) throw new InvalidOperationException("a generated record was not inserted");
            var pending = index.ReadPending(count);
            var message = CommitMessage.For(pending);
            var stamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            foreach (var entry in pending)
            {
                if (!entry.RelativePath.StartsWith(folder, StringComparison.Ordinal) || entry.RelativePath.IndexOf('/', folder.Length) >= 0)
                    throw new InvalidOperationException("a generated record's file is not in " + folder + ": " + entry.RelativePath);
                File.WriteAllText(paths.Absolute(entry.RelativePath), entry.Content);
                var bytes = Encoding.UTF8.GetBytes(entry.Content);
                Write($"blob\ndata {bytes.Length}\n");
                input.Write(bytes);
                Write("\n");
                entries.Add($"100644 blob {Convert.ToHexStringLower(GitObject.IdOf(GitObjectType.Blob, bytes))}\t{entry.RelativePath[folder.Length..]}");
            }
            // The blobs are in fast-import's pack, not readable yet: the tree is made without checking them (--missing).
            var tree = GitCli.Run(basePath, ["mktree", "--missing"], string.Join('\n', entries) + "\n").Trim();
            mark++;
            Write($"commit refs/heads/main\nmark :{mark}\ncommitter bench <bench@localhost> {stamp} +0000\ndata {Encoding.UTF8.GetByteCount(message)}\n{message}\n");
            if (mark == 1 && HasHead(basePath)) Write("from refs/heads/main^0\n");
            Write($"M 040000 {tree} {folder.TrimEnd('/')}\n\nget-mark :{mark}\n");
            input.Flush();
            var commit = output.ReadLine()?.Trim() ?? throw new InvalidOperationException("git fast-import stopped");
            index.MarkEntriesCommitted(pending.Select(p => p.OutboxId).ToList(), commit, at);
            progress?.Invoke(done + count);
        }
        input.Close();
        import.WaitForExit();
        if (import.ExitCode != 0) throw new InvalidOperationException("git fast-import failed");
        // The index from HEAD, its stat data refreshed from the files just written: a clean work tree, as the host leaves it.
        Compare.Git.Run(basePath, "reset", "-q");
        var status = Compare.Git.Run(basePath, "status", "--porcelain", "--untracked-files=no");
        if (status.Length > 0) throw new InvalidOperationException("the generated memory's work tree is not clean:\n" + status[..Math.Min(400, status.Length)]);
    }

    private static bool HasHead(string basePath)
    {
        try
        {
            Compare.Git.Run(basePath, "rev-parse", "-q", "--verify", "refs/heads/main");
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
