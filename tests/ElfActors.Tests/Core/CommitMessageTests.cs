using ElfActors.Core.Git;
using ElfActors.Core.Storage;

namespace ElfActors.Tests.Core;

public sealed class CommitMessageTests
{
    private static OutboxEntry Entry(long id, string title) =>
        new(id, "failure", $"memory/failures/{id}.md", "", "failure: " + title, "Domain: d | Severity: 3", DateTimeOffset.UtcNow);

    [Fact]
    public void One_record_uses_elfs_message_plus_a_trailer()
    {
        Assert.Equal("failure: Lock\n\nDomain: d | Severity: 3\n\nElf-Record: 7\n", CommitMessage.For([Entry(7, "Lock")]));
    }

    [Fact]
    public void A_batch_has_a_summary_line_a_line_per_record_and_one_trailer_per_record()
    {
        var message = CommitMessage.For([Entry(1, "A"), Entry(2, "B")]);
        Assert.Equal("elf: record 2 failures\n\nfailure: A (Domain: d | Severity: 3)\nfailure: B (Domain: d | Severity: 3)\n\nElf-Record: 1\nElf-Record: 2\n", message);
        Assert.Equal([1L, 2L], CommitMessage.RecordIds(message));
    }

    [Fact]
    public void Trailers_are_only_whole_lines()
    {
        Assert.Empty(CommitMessage.RecordIds("failure: Elf-Record: 5\n\nsee Elf-Record: 6\nElf-Record: x\n"));
    }
}
