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

    [Fact]
    public void A_keyed_record_names_its_key_and_file_and_only_old_rows_match_integer_trailers()
    {
        var key = RecordKeys.New();
        var keyed = Entry(3, "K") with { RecordKey = key };
        var message = CommitMessage.For([keyed, Entry(9, "Old")]);
        Assert.EndsWith($"\n\nElf-Record: {key} memory/failures/3.md\nElf-Record: 9\n", message);
        Assert.Equal([(key, "memory/failures/3.md"), ("9", null)], CommitMessage.Trailers(message).Select(t => (t.Key, t.Path)));
        Assert.Equal([key, "9"], CommitMessage.TrailerKeys(message));
        Assert.Equal([9L], CommitMessage.RecordIds(message)); // the keyed record is never read as an integer id
    }

    [Fact]
    public void Record_keys_are_version_7_uuids_in_time_order_and_unique()
    {
        var keys = Enumerable.Range(0, 10_000).Select(_ => RecordKeys.New()).ToList();
        Assert.All(keys, k => Assert.True(RecordKeys.IsKey(k), k));
        Assert.Equal(keys.Count, keys.Distinct().Count());
        // Time-ordered across milliseconds: the 48-bit millisecond prefix never goes back.
        var prefixes = keys.Select(k => k[..13]).ToList();
        Assert.Equal(prefixes.Order(StringComparer.Ordinal), prefixes);
        Assert.False(RecordKeys.IsKey("12"));
        Assert.False(RecordKeys.IsKey(Guid.NewGuid().ToString())); // version 4
        Assert.Equal("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", RecordKeys.ContentHash("")); // git hash-object of an empty file
    }
}
