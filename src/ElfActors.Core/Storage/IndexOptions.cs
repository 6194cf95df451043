namespace ElfActors.Core.Storage;

/// <summary>How the SQLite index trades speed for durability. FULL survives power loss; NORMAL survives a process crash.</summary>
public enum SynchronousMode { Off, Normal, Full, Extra }

/// <summary>
/// How the index is opened. Its values come from the HOCON configuration (<c>elf.durability.synchronous</c>,
/// <c>elf.index.busy-timeout</c>), whose defaults hocon/elf.hocon states, the one place; <c>ElfSettings.Default.Index</c>
/// has them for code that reads no configuration.
/// </summary>
public sealed record IndexOptions
{
    /// <summary>SQLite's PRAGMA synchronous for the index.</summary>
    public required SynchronousMode Synchronous { get; init; }

    /// <summary>How long a statement waits for another process's lock before it fails.</summary>
    public required TimeSpan BusyTimeout { get; init; }
}
