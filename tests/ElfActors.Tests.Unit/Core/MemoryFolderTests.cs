using ElfActors.Core;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// <see cref="MemoryFolder"/> tells the memory the host opened from a folder deleted, moved away or replaced at its path,
/// or one whose repository is being deleted (docs/adr/0074). Real folders; Linux (device and inode).
/// </summary>
public sealed class MemoryFolderTests
{
    [Fact]
    public void The_folder_the_host_opened_is_not_gone_and_nothing_completes()
    {
        using var memory = MemoryWithRepository();
        var folder = Opened(memory);

        Assert.Null(folder.Check());
        Assert.Null(folder.GoneReason);
        Assert.False(folder.WhenGone.IsCompleted);
    }

    [Fact]
    public async Task A_deleted_folder_is_gone_for_good_even_once_a_folder_is_back_at_the_path()
    {
        using var memory = MemoryWithRepository();
        var folder = Opened(memory);

        Directory.Delete(memory.BasePath, recursive: true);
        var reason = folder.Check();
        Directory.CreateDirectory(memory.BasePath);

        Assert.Contains("was deleted or moved away", reason);
        Assert.Equal(reason, folder.Check());
        Assert.Equal(reason, await folder.WhenGone);
    }

    [Fact]
    public void Another_folder_at_the_path_is_a_replacement()
    {
        using var memory = MemoryWithRepository();
        var folder = Opened(memory);

        Directory.Move(memory.BasePath, memory.BasePath + "-moved");
        Directory.CreateDirectory(Path.Combine(memory.BasePath, ".git"));
        File.WriteAllText(Path.Combine(memory.BasePath, ".git", "HEAD"), "ref: refs/heads/main\n");
        var reason = folder.Check();
        Directory.Delete(memory.BasePath + "-moved", recursive: true);

        Assert.Contains("was replaced by another folder", reason);
    }

    [Fact]
    public void A_repository_gone_from_the_folder_it_was_in_is_a_memory_being_deleted()
    {
        using var memory = MemoryWithRepository();
        var folder = Opened(memory);

        File.Delete(Path.Combine(memory.BasePath, ".git", "HEAD"));

        Assert.Contains("lost its git repository", folder.Check());
    }

    [Fact]
    public void A_folder_that_had_no_repository_when_prepared_is_not_gone_for_want_of_one()
    {
        using var memory = new TempMemory();
        var folder = new MemoryFolder(memory.Paths);
        folder.Prepared();

        Assert.Null(folder.Check());
    }

    private static TempMemory MemoryWithRepository()
    {
        var memory = new TempMemory();
        Directory.CreateDirectory(Path.Combine(memory.BasePath, ".git"));
        File.WriteAllText(Path.Combine(memory.BasePath, ".git", "HEAD"), "ref: refs/heads/main\n");
        return memory;
    }

    private static MemoryFolder Opened(TempMemory memory)
    {
        var folder = new MemoryFolder(memory.Paths);
        folder.Prepared();
        return folder;
    }
}
