using ElfActors.Contracts;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.Core;

/// <summary>
/// The same record stream through both git writers (the fast in-process one and git's plumbing), each in its own
/// repository set up the same way, judged by git itself: <c>git fsck --strict</c>, <c>git status --porcelain</c>,
/// <c>git diff-index --cached HEAD</c>, and the two tips' tree ids equal (docs/git-writer.md).
/// </summary>
[Trait("Category", "FaultMatrix")]
public sealed class GitWriterDifferentialTests : IDisposable
{
    /// <summary>The first git with a sparse index (`sparse-checkout init --sparse-index`, `index.sparse`).</summary>
    private static readonly Version SparseIndexSince = new(2, 32);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "elf-diff-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly ITestOutputHelper _output;
    private readonly Version _git;

    public GitWriterDifferentialTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_root);
        // The git on the PATH (the machine's, or scripts/second-git's): the suite runs against whichever it finds.
        var reported = Tools.Git(_root, "--version").Trim();
        _git = GitCli.ParseVersion(reported) ?? throw new InvalidOperationException($"cannot read git's version from '{reported}'");
    }

    public static TheoryData<string> Configurations =>
    [
        "plain", "index-v3", "index-v4", "split-index", "untracked-cache", "fsmonitor-hook", "sparse-checkout", "sparse-index",
        "linked-worktree", "autocrlf-true", "autocrlf-input", "clean-filter",
    ];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Both_writers_leave_what_git_itself_would(string configuration)
    {
        if (configuration == "sparse-index" && _git < SparseIndexSince)
        {
            _output.WriteLine($"skipped: a sparse index needs git {SparseIndexSince} or later; the git on the PATH is {_git}");
            return;
        }
        _output.WriteLine($"git {_git}");
        var fast = Prepare(configuration, "fast");
        var plumbing = Prepare(configuration, "git");

        foreach (var (basePath, writer) in new[] { (fast, "fast"), (plumbing, "git") })
        {
            using var store = new GitStore(new MemoryPaths(basePath)) { PreferredWriter = writer };
            foreach (var batch in Stream(configuration))
            {
                var files = batch.Select(file => Write(basePath, file.Path, file.Content)).ToList();
                store.CommitFiles(files, $"elf: record {files.Count}\n\nElf-Record: {files.Count}\n");
            }
            if (configuration is "autocrlf-true" or "autocrlf-input" or "clean-filter")
                Assert.Equal("git", store.WriterInUse); // the fast writer hands converted content to git by itself
            else
                Assert.Equal(writer, store.WriterInUse);
        }

        foreach (var basePath in new[] { fast, plumbing })
        {
            Assert.Equal(string.Empty, Tools.Git(basePath, "fsck", "--strict", "--no-progress").Trim());
            Assert.Equal(string.Empty, Tools.Git(basePath, "status", "--porcelain", "--untracked-files=all"));
            Assert.Equal(string.Empty, Tools.Git(basePath, "diff-index", "--cached", "HEAD"));
            Assert.Equal(string.Empty, Tools.Git(basePath, "diff-files"));
            Assert.Equal(4, int.Parse(Tools.Git(basePath, "rev-list", "--count", "HEAD").Trim()));
        }
        Assert.Equal(Tools.Git(fast, "rev-parse", "HEAD^{tree}"), Tools.Git(plumbing, "rev-parse", "HEAD^{tree}"));
        // The branch's and HEAD's reflogs as git update-ref leaves them (the fast writer moves plain refs itself: docs/adr/0058).
        foreach (var reference in new[] { "HEAD", Tools.Git(fast, "symbolic-ref", "HEAD").Trim() })
            Assert.Equal(Tools.Git(plumbing, "reflog", "show", "--format=%gs", reference), Tools.Git(fast, "reflog", "show", "--format=%gs", reference));
        // The first commit's files and the stream's, nothing else.
        var expected = Tools.Git(fast, "ls-tree", "-r", "--name-only", "HEAD~3").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Concat(Stream(configuration).SelectMany(b => b).Select(f => f.Path)).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, Tools.Git(fast, "ls-tree", "-r", "--name-only", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_sha256_repository_is_refused_up_front_with_a_message_naming_it()
    {
        var basePath = Path.Combine(_root, "sha256");
        Directory.CreateDirectory(basePath);
        Tools.Git(basePath, "init", "-q", "--object-format=sha256");

        var refused = Assert.Throws<UnsupportedRepositoryException>(() => new GitStore(new MemoryPaths(basePath)));

        Assert.Contains("SHA256", refused.Message, StringComparison.Ordinal);
        Assert.Contains("SHA-1", refused.Message, StringComparison.Ordinal);
        Assert.Equal("sha256", Tools.Git(basePath, "rev-parse", "--show-object-format").Trim()); // left as it was
    }

    [Fact]
    public void A_memory_in_a_linked_worktree_keeps_its_live_files_out_of_git_status()
    {
        var basePath = Prepare("linked-worktree", "fast");
        Directory.CreateDirectory(Path.Combine(basePath, "memory", ".elf"));
        File.WriteAllText(Path.Combine(basePath, "memory", "index.db"), "db");
        File.WriteAllText(Path.Combine(basePath, "memory", "index.db-wal"), "wal");
        File.WriteAllText(Path.Combine(basePath, "memory", ".elf", "host.pid"), "1");

        GitStore.EnsureRepository(new MemoryPaths(basePath));

        Assert.Equal(string.Empty, Tools.Git(basePath, "status", "--porcelain", "--untracked-files=all"));
    }

    /// <summary>Three batches: new files, new files beside a shared file, the shared file changed plus a new one.</summary>
    private static IReadOnlyList<IReadOnlyList<(string Path, string Content)>> Stream(string configuration)
    {
        var newline = configuration.StartsWith("autocrlf", StringComparison.Ordinal) ? "\r\n" : "\n";
        string Text(string title) => $"# {title}{newline}{newline}body of {title}{newline}";
        return
        [
            [("memory/failures/a.md", Text("a")), ("memory/failures/b.md", Text("b")), ("memory/failures/c.md", Text("c"))],
            [("memory/failures/d.md", Text("d")), ("memory/heuristics/testing.md", Text("H-1"))],
            [("memory/heuristics/testing.md", Text("H-1") + Text("H-2")), ("memory/failures/e.md", Text("e"))],
        ];
    }

    private static string Write(string basePath, string relativePath, string content)
    {
        var path = Path.Combine(basePath, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return relativePath;
    }

    /// <summary>A repository with a first commit (two files outside memory/) set up as <paramref name="configuration"/> says; returns the memory's base folder.</summary>
    private string Prepare(string configuration, string writer)
    {
        var repository = Path.Combine(_root, configuration + "-" + writer);
        Directory.CreateDirectory(repository);
        Tools.Git(repository, "init", "-q", "-b", "main");
        Tools.Git(repository, "config", "user.name", "P");
        Tools.Git(repository, "config", "user.email", "p@x");
        Write(repository, "other/a.txt", "a\n");
        Write(repository, "other/b.txt", "b\n");
        Directory.CreateDirectory(Path.Combine(repository, "memory"));
        switch (configuration)
        {
            case "autocrlf-true":
                Tools.Git(repository, "config", "core.autocrlf", "true");
                break;
            case "autocrlf-input":
                Tools.Git(repository, "config", "core.autocrlf", "input");
                break;
            case "clean-filter":
                // A clean filter that changes what is stored (as LFS does): git stores upper case, the file keeps lower.
                Tools.Git(repository, "config", "filter.upper.clean", "tr a-z A-Z");
                Tools.Git(repository, "config", "filter.upper.smudge", "cat");
                Write(repository, ".gitattributes", "memory/** filter=upper\n");
                break;
        }
        Tools.Git(repository, "add", "-A");
        Tools.Git(repository, "commit", "-qm", "first");
        switch (configuration)
        {
            case "index-v3":
                Tools.Git(repository, "update-index", "--index-version", "3");
                break;
            case "index-v4":
                Tools.Git(repository, "update-index", "--index-version", "4");
                break;
            case "split-index":
                Tools.Git(repository, "config", "core.splitIndex", "true");
                Tools.Git(repository, "update-index", "--split-index");
                break;
            case "untracked-cache":
                Tools.Git(repository, "config", "core.untrackedCache", "true");
                Tools.Git(repository, "update-index", "--untracked-cache");
                Tools.Git(repository, "status", "--porcelain");
                break;
            case "fsmonitor-hook":
            {
                // A version 1 hook that reports everything as possibly changed ("/"), so git checks every path itself.
                var hook = Path.Combine(repository, ".git", "fsmonitor-all");
                File.WriteAllText(hook, "#!/bin/sh\nprintf '/\\0'\n");
                Assert.Equal(0, Tools.Run("chmod", repository, "+x", hook).ExitCode);
                Tools.Git(repository, "config", "core.fsmonitor", hook);
                Tools.Git(repository, "config", "core.fsmonitorHookVersion", "1");
                Tools.Git(repository, "status", "--porcelain");
                break;
            }
            // `init --cone` then `set`: git 2.30's `set` takes no options (it would read "--cone" as a pattern). The
            // configuration is checked, so that an older git cannot quietly run another set-up under the same name.
            case "sparse-checkout":
                Tools.Git(repository, "sparse-checkout", "init", "--cone");
                Tools.Git(repository, "sparse-checkout", "set", "memory");
                Assert.Equal("true", Tools.Git(repository, "config", "--bool", "core.sparseCheckoutCone").Trim());
                Assert.Contains("S other/a.txt", Tools.Git(repository, "ls-files", "-t"), StringComparison.Ordinal);
                break;
            case "sparse-index":
                Tools.Git(repository, "sparse-checkout", "init", "--cone", "--sparse-index");
                Tools.Git(repository, "sparse-checkout", "set", "memory");
                Assert.Equal("true", Tools.Git(repository, "config", "--bool", "core.sparseCheckoutCone").Trim());
                Assert.Equal("true", Tools.Git(repository, "config", "--bool", "index.sparse").Trim());
                break;
            case "linked-worktree":
            {
                var worktree = Path.Combine(_root, configuration + "-" + writer + "-wt");
                Tools.Git(repository, "worktree", "add", "-q", "-b", "memory-branch", worktree);
                return worktree;
            }
        }
        return repository;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
