using ElfActors.Core.Import;

namespace ElfActors.Tests.Core;

/// <summary>An import's commits: a fixed size for small memories, a bounded number for large ones (docs/adr/0052).</summary>
public sealed class ImportBatchSizeTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(499)]
    [InlineData(50_000)]
    [InlineData(50_001)]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    [InlineData(1_000_001)]
    public void A_large_import_needs_at_most_the_bounded_number_of_commits_and_a_small_one_keeps_the_default_size(int records)
    {
        var size = MemoryImporter.BatchSizeFor(records);

        var commits = (records + size - 1) / size;
        Assert.True(commits <= MemoryImporter.MostCommits, $"{records} records in batches of {size}: {commits} commits");
        Assert.True(size >= MemoryImporter.DefaultBatchSize);
        if (records <= MemoryImporter.DefaultBatchSize * MemoryImporter.MostCommits) Assert.Equal(MemoryImporter.DefaultBatchSize, size);
    }
}
