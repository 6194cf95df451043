using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// A base folder reached through a symbolic link (~/.claude as a link into a dotfiles repository): every spelling of
/// it is one memory — one host identity, runtime files and lock, one git work tree as git itself names it — and a
/// record made through a link lands in the real repository. A symlinked memory/ or record folder is still refused, as
/// ELF's scripts refuse it.
/// </summary>
public sealed class SymlinkedBaseTests : IDisposable
{
    private readonly TempMemory _memory = new();
    private readonly string _linkToBase;
    private readonly string _viaLinkedParent;
    private readonly string _parentLink;

    public SymlinkedBaseTests()
    {
        _linkToBase = _memory.BasePath + "-link";
        Directory.CreateSymbolicLink(_linkToBase, _memory.BasePath);
        // A link to the parent folder, as ~/.claude is a link and the base a folder inside it; its target is relative.
        _parentLink = _memory.BasePath + "-parent";
        Directory.CreateSymbolicLink(_parentLink, "..");
        _viaLinkedParent = Path.Combine(_parentLink, Path.GetFileName(Path.GetDirectoryName(_memory.BasePath)!), Path.GetFileName(_memory.BasePath));
    }

    private string[] Spellings => [_memory.BasePath, _memory.BasePath + "/", _linkToBase, _viaLinkedParent, Path.Combine(_linkToBase, "memory", "..")];

    [Fact]
    public void Every_spelling_names_the_same_base_host_lock_runtime_files_and_git_work_tree()
    {
        Directory.CreateDirectory(_memory.Paths.MemoryDirectory);
        Tools.Git(_memory.BasePath, "init", "-q", "-b", "main");
        var real = Tools.Run("realpath", _memory.BasePath, _memory.BasePath).Stdout.Trim();
        foreach (var spelling in Spellings)
        {
            var paths = new MemoryPaths(spelling);
            Assert.Equal(real, paths.BasePath);
            Assert.Null(paths.RefusalReason());
            Assert.Equal(HostAddress.Key(_memory.Paths), HostAddress.Key(paths));
            Assert.Equal(HostAddress.LockFile(_memory.Paths), HostAddress.LockFile(paths));
            Assert.Equal(HostAddress.PipeName(_memory.Paths), HostAddress.PipeName(paths));
            Assert.Equal(_memory.Paths.StateDirectory, paths.StateDirectory);
            // git's own name for the work tree, asked from the spelling a client used.
            Assert.Equal(paths.BasePath, Tools.Git(spelling, "rev-parse", "--show-toplevel").Trim());
        }
    }

    [Fact]
    public async Task A_record_made_through_a_linked_base_is_committed_in_the_real_repository()
    {
        // The host makes the repository itself, at the resolved folder, as for any new memory.
        await using (var host = await ElfTestHost.StartAsync(new MemoryPaths(_viaLinkedParent)))
        {
            Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(1, "Through a link")));
            await host.FlushAsync();
        }
        var commit = Assert.Single(GitHistory.Log(_memory.BasePath), c => c.Message.Contains("Through a link", StringComparison.Ordinal));
        var file = Assert.Single(commit.AddedFiles);
        Assert.Matches(@"^memory/failures/\d{8}_through-a-link\.md$", file);
        Assert.Contains(file, GitHistory.TrackedFiles(_memory.BasePath));
        Assert.Empty(GitHistory.Status(_memory.BasePath));
        Assert.Equal("", Tools.Git(_memory.BasePath, "fsck", "--strict").Trim());
        Assert.Equal("1", Tools.Sqlite(_memory.DatabasePath, "SELECT count(*) FROM learnings").Single()[0]);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("memory/failures")]
    [InlineData("memory/heuristics")]
    public void A_memory_or_record_folder_that_is_a_link_is_refused_whichever_spelling(string linked)
    {
        using var other = new TempMemory();
        using var elsewhere = new TempMemory();
        Directory.CreateDirectory(Path.GetDirectoryName(other.Paths.Absolute(linked))!);
        Directory.CreateSymbolicLink(other.Paths.Absolute(linked), elsewhere.BasePath);
        var link = other.BasePath + "-link";
        Directory.CreateSymbolicLink(link, other.BasePath);
        try
        {
            foreach (var spelling in new[] { other.BasePath, link })
                Assert.Contains("is a symbolic link", new MemoryPaths(spelling).RefusalReason());
        }
        finally
        {
            File.Delete(link);
        }
    }

    public void Dispose()
    {
        File.Delete(_linkToBase);
        File.Delete(_parentLink);
        _memory.Dispose();
    }
}
