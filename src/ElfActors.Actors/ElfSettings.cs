using Akka.Configuration;
using ElfActors.Core.Storage;

namespace ElfActors.Actors;

/// <summary>The <c>elf</c> section of the HOCON configuration, read once and passed to the actors.</summary>
public sealed record ElfSettings
{
    public const string RecorderDispatcher = "elf.dispatchers.recorder";
    public const string IndexWriterDispatcher = "elf.dispatchers.index-writer";
    public const string CommitterDispatcher = "elf.dispatchers.committer";
    public const string IndexWriterMailbox = "elf.mailboxes.index-writer";

    public required IndexOptions Index { get; init; }
    public required bool FsyncFiles { get; init; }
    public required int IndexMaxBatchSize { get; init; }
    public required TimeSpan RecorderReplyTimeout { get; init; }
    public required int CommitMaxBatchSize { get; init; }
    public required TimeSpan SweepInterval { get; init; }
    public required TimeSpan OrphanGrace { get; init; }
    public required TimeSpan StaleLockAge { get; init; }
    /// <summary>elf.committer.git-writer: "fast" or "git" (docs/git-writer.md).</summary>
    public required string GitWriter { get; init; }
    public required TimeSpan BackoffMin { get; init; }
    public required TimeSpan BackoffMax { get; init; }
    public required double BackoffRandomFactor { get; init; }
    public required TimeSpan BackoffResetAfter { get; init; }

    public static ElfSettings From(Config root)
    {
        var elf = root.GetConfig("elf") ?? throw new ConfigurationException("the HOCON configuration has no 'elf' section");
        var synchronousText = elf.GetString("durability.synchronous", "FULL");
        if (!Enum.TryParse<SynchronousMode>(synchronousText, ignoreCase: true, out var synchronous))
            throw new ConfigurationException($"elf.durability.synchronous must be OFF, NORMAL, FULL or EXTRA (got '{synchronousText}')");
        var settings = new ElfSettings
        {
            Index = new IndexOptions { Synchronous = synchronous, BusyTimeout = elf.GetTimeSpan("index.busy-timeout", TimeSpan.FromSeconds(10)) },
            FsyncFiles = elf.GetBoolean("durability.fsync-files", false),
            IndexMaxBatchSize = elf.GetInt("index.max-batch-size", 1000),
            RecorderReplyTimeout = elf.GetTimeSpan("recorder.reply-timeout", TimeSpan.FromSeconds(30)),
            CommitMaxBatchSize = elf.GetInt("committer.max-batch-size", 2000),
            SweepInterval = elf.GetTimeSpan("committer.sweep-interval", TimeSpan.FromSeconds(2)),
            OrphanGrace = elf.GetTimeSpan("committer.orphan-grace", TimeSpan.FromSeconds(120)),
            StaleLockAge = elf.GetTimeSpan("committer.stale-lock-age", TimeSpan.FromSeconds(60)),
            GitWriter = elf.GetString("committer.git-writer") ?? string.Empty,
            BackoffMin = elf.GetTimeSpan("committer.backoff.min", TimeSpan.FromMilliseconds(200)),
            BackoffMax = elf.GetTimeSpan("committer.backoff.max", TimeSpan.FromSeconds(10)),
            BackoffRandomFactor = elf.GetDouble("committer.backoff.random-factor", 0.2),
            BackoffResetAfter = elf.GetTimeSpan("committer.backoff.reset-after", TimeSpan.FromSeconds(30)),
        };
        if (settings.GitWriter is not ("fast" or "git"))
            throw new ConfigurationException($"elf.committer.git-writer must be fast or git (got '{settings.GitWriter}')");
        if (settings.IndexMaxBatchSize < 1) throw new ConfigurationException("elf.index.max-batch-size must be at least 1");
        if (settings.CommitMaxBatchSize < 1) throw new ConfigurationException("elf.committer.max-batch-size must be at least 1");
        if (settings.OrphanGrace <= settings.RecorderReplyTimeout)
            throw new ConfigurationException("elf.committer.orphan-grace must be longer than elf.recorder.reply-timeout");
        return settings;
    }
}
