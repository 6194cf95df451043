using System.Diagnostics;
using ElfActors.Contracts.Client;

namespace ElfActors.Cli;

/// <summary>
/// Reaches the host of a memory, starting one when none answers. Clients that race to start a host take a
/// start lock in turn: the first starts it, the others find it running. The host's own lock makes a
/// second host impossible even without this courtesy.
/// </summary>
internal static class HostConnector
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a client that finds a live host without an answering socket waits for the host to bind it again.</summary>
    private static readonly TimeSpan RebindPatience = TimeSpan.FromSeconds(3);

    public static Task<HostClient?> TryConnectAsync(MemoryPaths paths) => HostClient.TryConnectAsync(paths, ProbeTimeout);

    /// <summary>
    /// A connection if a host answers now; null at once when no socket is there. Before a start: waiting for a socket
    /// that no host is binding only delays the start (200 ms twice, 0.4 s of every cold record, ADR 0049).
    /// </summary>
    private static Task<HostClient?> ConnectNowAsync(MemoryPaths paths) => HostClient.TryConnectAsync(paths, TimeSpan.Zero);

    /// <summary>
    /// A connection to a running host, found through its socket, or through its lock and pid record when the
    /// socket is gone (the host binds it again within a few seconds). Null when no host runs, or the live one
    /// does not answer: then <c>Holder</c> is its pid.
    /// </summary>
    public static async Task<(HostClient? Client, int? Holder)> FindRunningAsync(MemoryPaths paths)
    {
        if (await ConnectNowAsync(paths) is { } client) return (client, null);
        if (HostHoldingLock(paths) is not { } holder) return (null, null);
        return (await HostClient.TryConnectAsync(paths, RebindPatience), holder);
    }

    /// <summary>
    /// A connection, or null with the reason in <c>error</c>: exit 3, or exit 1 when <c>environmentFault</c>
    /// (the memory cannot be written, so no host could help).
    /// </summary>
    public static async Task<(HostClient? Client, string? Error, bool EnvironmentFault)> ConnectOrStartAsync(MemoryPaths paths, TimeSpan startTimeout)
    {
        if (await ConnectNowAsync(paths) is { } running) return (running, null, false);
        // A cluster node is started by its operator (`elf serve --cluster-port …`): a single-node host started
        // here would run a second committer beside the cluster's singleton.
        if (paths.Node is { } node)
            return (null, $"no cluster node {node} answers for {paths.BasePath} (${HostAddress.NodeVariable}={node}); start it with `elf serve --cluster-port {node} …`", false);
        if (!HostProcess.Exists(out var missing)) return (null, missing, false);
        if (PrepareStateDirectory(paths) is { } unwritable) return (null, unwritable, true);
        // An unsafe runtime folder: a host would refuse it too, so say why now rather than after its start.
        if (HostAddress.RuntimeDirectoryProblem() is { } unsafeFolder) return (null, unsafeFolder, false);
        HostAddress.EnsureRuntimeDirectory();

        var deadline = Stopwatch.GetTimestamp() + (long)(startTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var startLock = TryLock(HostAddress.StartLockFile(paths));
            if (startLock is null)
            {
                // Another client is starting the host: wait for it to answer.
                if (await TryConnectAsync(paths) is { } started) return (started, null, false);
                continue;
            }
            using (startLock)
            {
                if (await ConnectNowAsync(paths) is { } startedMeanwhile) return (startedMeanwhile, null, false);
                // A live host holds the memory (busy under load, still opening its pipe, or draining): starting
                // another would only be refused by its lock. Wait for it to answer, or to be gone.
                if (HostHoldingLock(paths) is not null)
                {
                    await Task.Delay(50);
                    continue;
                }
                var pid = HostProcess.StartInBackground(paths);
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    if (await TryConnectAsync(paths) is { } client) return (client, null, false);
                    if (pid is not { } p || HostProcess.IsAlive(p)) continue;
                    if (await TryConnectAsync(paths) is { } other) return (other, null, false);
                    // A host that is still draining holds the memory's lock: the new one gave way. Wait, then start again.
                    if (HostHoldingLock(paths) is not null) break;
                    return (null, $"the host for {paths.BasePath} exited while starting: {LastLogLine(paths)}", false);
                }
            }
            await Task.Delay(100);
        }
        // A host of another ElfActors version may name its socket differently (ADR 0011): it holds the memory but
        // never answers here. Say who holds it rather than only that nobody answered.
        if (HostHoldingLock(paths) is { } holder)
            return (null, $"the host holding {paths.BasePath} (pid {holder}) did not answer on {HostAddress.PipeName(paths)} within " +
                $"{startTimeout.TotalSeconds:0.#}s; if it is from another version of ElfActors, stop it (kill {holder}) and retry", false);
        return (null, $"no host answered for {paths.BasePath} within {startTimeout.TotalSeconds:0.#}s", false);
    }

    /// <summary>
    /// Waits until a host that was asked to stop is gone: it releases its lock (the pid file) as it exits, so that, not
    /// just the pipe closing, is what is waited for. False when it is still there after <paramref name="wait"/>.
    /// </summary>
    public static async Task<bool> WaitUntilGoneAsync(MemoryPaths paths, TimeSpan wait, int? pid = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            // The host releases its lock as it exits: wait for that, not just for the socket to close (it may be gone already).
            if (HostHoldingLock(paths) is null && !File.Exists(HostAddress.PidFile(paths)) && (pid is not { } host || !HostProcess.IsAlive(host))) return true;
            await Task.Delay(50);
        }
        return false;
    }

    /// <summary>
    /// Creates the memory's state folder (and memory/ if need be) as the host would, 0700 whatever the caller's umask: the
    /// host's folders are the user's alone (`elf serve` takes ELF's umask 0077), and a memory/.elf/ others may write
    /// would let them replace the record file pool's folder after the host checked it (docs/adr/0083). The reason when
    /// the memory cannot be written (a fault of the environment).
    /// </summary>
    private static string? PrepareStateDirectory(MemoryPaths paths)
    {
        try
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(paths.StateDirectory);
            else
            {
                // The mode applies to the last folder only: memory/ (a parent made by the same call) would take the umask's.
                Directory.CreateDirectory(paths.MemoryDirectory, HostAddress.PrivateFolder);
                Directory.CreateDirectory(paths.StateDirectory, HostAddress.PrivateFolder);
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot create {paths.StateDirectory}: {e.Message}";
        }
    }

    /// <summary>The pid of a live host that holds the memory's lock, if any.</summary>
    public static int? HostHoldingLock(MemoryPaths paths)
    {
        try
        {
            return int.TryParse(File.ReadAllText(HostAddress.PidFile(paths)).Trim(), out var pid) && HostProcess.IsAlive(pid)
                   && HasOpen(pid, Path.GetFullPath(HostAddress.LockFile(paths))) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // A host killed with -9 leaves its pid file behind, and the pid may since belong to another process:
    // only a process that has the lock file open is the host.
    private static bool HasOpen(int pid, string path)
    {
        if (!OperatingSystem.IsLinux()) return true; // cannot tell here: trust the pid
        try
        {
            foreach (var descriptor in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                // A descriptor closed while the list is read (a busy host opens and closes many) is skipped, not
                // taken to mean the lock is not held: that started a second host beside a busy one.
                try
                {
                    if (new FileInfo(descriptor).LinkTarget == path) return true;
                }
                catch (IOException)
                {
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    private static FileStream? TryLock(string path)
    {
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            return new FileStream(path, options);
        }
        catch (IOException)
        {
            Thread.Sleep(20);
            return null;
        }
    }

    private static string LastLogLine(MemoryPaths paths)
    {
        try
        {
            return File.ReadLines(HostAddress.LogFile(paths)).LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "(no log)";
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}
