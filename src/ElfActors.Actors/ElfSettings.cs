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
    /// <summary>elf.recorder.file-pool-size: empty files kept ready for records' files (ADR 0080); 0 none.</summary>
    public int RecordFilePoolSize { get; init; }
    public required int CommitMaxBatchSize { get; init; }
    /// <summary>elf.committer.min-commit-interval: a commit starts no sooner than this after the last one started.</summary>
    public required TimeSpan MinCommitInterval { get; init; }
    public required TimeSpan SweepInterval { get; init; }
    /// <summary>elf.committer.idle-sweep-interval: how often an idle committer looks when changes cannot be watched.</summary>
    public required TimeSpan IdleSweepInterval { get; init; }
    public required TimeSpan OrphanGrace { get; init; }
    /// <summary>elf.committer.stall-warning: records pending this long with no commit started and no wait the committer can name is logged as a stall; 0 never.</summary>
    public required TimeSpan StallWarning { get; init; }
    public required TimeSpan StaleLockAge { get; init; }
    /// <summary>elf.committer.git-writer: "fast" or "git" (docs/git-writer.md).</summary>
    public required string GitWriter { get; init; }
    public required TimeSpan BackoffMin { get; init; }
    public required TimeSpan BackoffMax { get; init; }
    public required double BackoffRandomFactor { get; init; }
    public required TimeSpan BackoffResetAfter { get; init; }

    /// <summary>The settings hocon/elf.hocon states, for code that reads no configuration of its own (tools, tests).</summary>
    public static ElfSettings Default { get; } = From(Config.Empty);

    /// <summary>
    /// Reads the <c>elf</c> section of <paramref name="root"/>; what it leaves out comes from hocon/elf.hocon, the one
    /// place the defaults are stated. Durations are read by <see cref="HoconDuration"/> (Akka's reading, without the compiled
    /// regular expression whose first use cost a cold `elf serve` ~45 ms of CPU before its first acknowledgement).
    /// </summary>
    public static ElfSettings From(Config root)
    {
        var elf = root.WithFallback(ElfHocon.Default).GetConfig("elf");
        var synchronousText = elf.GetString("durability.synchronous");
        if (!Enum.TryParse<SynchronousMode>(synchronousText, ignoreCase: true, out var synchronous))
            throw new ConfigurationException($"elf.durability.synchronous must be OFF, NORMAL, FULL or EXTRA (got '{synchronousText}')");
        var settings = new ElfSettings
        {
            Index = new IndexOptions { Synchronous = synchronous, BusyTimeout = HoconDuration.Read(elf, "index.busy-timeout") },
            FsyncFiles = elf.GetBoolean("durability.fsync-files"),
            IndexMaxBatchSize = elf.GetInt("index.max-batch-size"),
            RecorderReplyTimeout = HoconDuration.Read(elf, "recorder.reply-timeout"),
            RecordFilePoolSize = elf.GetInt("recorder.file-pool-size"),
            CommitMaxBatchSize = elf.GetInt("committer.max-batch-size"),
            MinCommitInterval = HoconDuration.Read(elf, "committer.min-commit-interval"),
            SweepInterval = HoconDuration.Read(elf, "committer.sweep-interval"),
            IdleSweepInterval = HoconDuration.Read(elf, "committer.idle-sweep-interval"),
            OrphanGrace = HoconDuration.Read(elf, "committer.orphan-grace"),
            StallWarning = HoconDuration.Read(elf, "committer.stall-warning"),
            StaleLockAge = HoconDuration.Read(elf, "committer.stale-lock-age"),
            GitWriter = elf.GetString("committer.git-writer"),
            BackoffMin = HoconDuration.Read(elf, "committer.backoff.min"),
            BackoffMax = HoconDuration.Read(elf, "committer.backoff.max"),
            BackoffRandomFactor = elf.GetDouble("committer.backoff.random-factor"),
            BackoffResetAfter = HoconDuration.Read(elf, "committer.backoff.reset-after"),
        };
        if (settings.GitWriter is not ("fast" or "git"))
            throw new ConfigurationException($"elf.committer.git-writer must be fast or git (got '{settings.GitWriter}')");
        if (settings.IndexMaxBatchSize < 1) throw new ConfigurationException("elf.index.max-batch-size must be at least 1");
        if (settings.CommitMaxBatchSize < 1) throw new ConfigurationException("elf.committer.max-batch-size must be at least 1");
        if (settings.StallWarning < TimeSpan.Zero) throw new ConfigurationException("elf.committer.stall-warning must not be negative");
        if (settings.MinCommitInterval < TimeSpan.Zero) throw new ConfigurationException("elf.committer.min-commit-interval must not be negative");
        if (settings.OrphanGrace <= settings.RecorderReplyTimeout)
            throw new ConfigurationException("elf.committer.orphan-grace must be longer than elf.recorder.reply-timeout");
        return settings;
    }
}
