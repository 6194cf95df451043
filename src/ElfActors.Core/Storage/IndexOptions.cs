namespace ElfActors.Core.Storage;

/// <summary>How the SQLite index trades speed for durability. FULL survives power loss; NORMAL survives a process crash.</summary>
public enum SynchronousMode { Off, Normal, Full, Extra }

public sealed record IndexOptions
{
    public SynchronousMode Synchronous { get; init; } = SynchronousMode.Full;

    /// <summary>How long a statement waits for another process's lock before it fails.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public static IndexOptions Default { get; } = new();
}
