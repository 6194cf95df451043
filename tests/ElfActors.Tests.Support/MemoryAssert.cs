using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Support;

/// <summary>Checks a memory with sqlite3, the file system and git: never through ElfActors' own code.</summary>
public static class MemoryAssert
{
    /// <summary>
    /// Every acknowledged record has its row, its file, and is in exactly one commit (by trailer and by the
    /// commit that added its file); nothing else was committed; the working tree is clean. Returns the
    /// number of commits that carried these records.
    /// </summary>
    public static int EveryRecordLandedExactlyOnce(TempMemory memory, IReadOnlyCollection<Recorded> records)
    {
        Assert.Equal(records.Count, records.Select(r => r.RecordId).Distinct().Count());
        Assert.Equal(records.Count, records.Select(r => r.RelativePath).Distinct().Count());

        var rows = Tools.Sqlite(memory.DatabasePath, "SELECT id, filepath, type FROM learnings")
            .ToDictionary(r => long.Parse(r[0]), r => (Path: r[1], Type: r[2]));
        foreach (var record in records)
        {
            Assert.True(rows.TryGetValue(record.RecordId, out var row), $"row {record.RecordId} is missing");
            Assert.Equal(record.RelativePath, row.Path);
            Assert.Equal("failure", row.Type);
            Assert.True(File.Exists(Path.Combine(memory.BasePath, record.RelativePath)), $"{record.RelativePath} is missing");
        }
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox WHERE commit_id IS NULL"));

        var log = GitHistory.Log(memory.BasePath);
        var trailerCounts = log.SelectMany(c => c.RecordTrailers).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        var addedCounts = log.SelectMany(c => c.AddedFiles).GroupBy(f => f).ToDictionary(g => g.Key, g => g.Count());
        foreach (var record in records)
        {
            Assert.True(trailerCounts.GetValueOrDefault(record.RecordId) == 1,
                $"record {record.RecordId} is in {trailerCounts.GetValueOrDefault(record.RecordId)} commits (by trailer)");
            Assert.True(addedCounts.GetValueOrDefault(record.RelativePath) == 1,
                $"{record.RelativePath} was added by {addedCounts.GetValueOrDefault(record.RelativePath)} commits");
        }
        var ours = records.Select(r => r.RelativePath).ToHashSet();
        Assert.All(log.SelectMany(c => c.AddedFiles), file => Assert.Contains(file, ours));
        Assert.DoesNotContain(GitHistory.TrackedFiles(memory.BasePath), f => f.StartsWith("memory/index.db", StringComparison.Ordinal));
        Assert.Empty(GitHistory.Status(memory.BasePath));

        var ids = records.Select(r => r.RecordId).ToHashSet();
        return log.Count(c => c.RecordTrailers.Any(ids.Contains));
    }

    /// <summary>Nothing at all was written: no row, no outbox entry, no record file (nor temp file), no commit.</summary>
    public static void NothingWritten(TempMemory memory)
    {
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM learnings"));
        Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, "SELECT COUNT(*) FROM elf_outbox"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(memory.FailuresDirectory));
        foreach (var table in new[] { "heuristics", "decisions" })
            if (Tools.SqliteScalar(memory.DatabasePath, $"SELECT COUNT(*) FROM sqlite_master WHERE name = '{table}'") == 1)
                Assert.Equal(0, Tools.SqliteScalar(memory.DatabasePath, $"SELECT COUNT(*) FROM {table}"));
        foreach (var folder in new[] { "heuristics", "decisions" })
        {
            var path = Path.Combine(memory.BasePath, "memory", folder);
            if (Directory.Exists(path)) Assert.Empty(Directory.EnumerateFileSystemEntries(path));
        }
        Assert.Empty(GitHistory.Log(memory.BasePath));
    }
}
