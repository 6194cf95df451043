using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using ElfActors.Actors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

public static class ServeCommand
{
    public static Command Create()
    {
        var basePath = new Option<string?>("--base")
        {
            Description = "Memory base folder (default: $ELF_BASE_PATH, else ~/.claude/emergent-learning). Created if absent.",
        };
        var config = new Option<string[]>("--config")
        {
            Description = "Extra HOCON file(s) overriding hocon/elf.hocon (for example elf.committer.max-batch-size = 200).",
            AllowMultipleArgumentsPerToken = false,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log at Information level (default: warnings and errors only)." };
        var clusterPort = new Option<int?>("--cluster-port")
        {
            Description = "Cluster mode: this node's Akka.Remote TCP port. The node serves its own pipe; clients reach it with ELF_NODE=<port>. Without it: single-node mode.",
        };
        var clusterHost = new Option<string>("--cluster-hostname")
        {
            Description = "Cluster mode: the address other nodes reach this one at (default 127.0.0.1).",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var seedNodes = new Option<string[]>("--seed-node")
        {
            Description = "Cluster mode: a seed node as host:port (repeatable; the same list, in the same order, on every node).",
            AllowMultipleArgumentsPerToken = false,
        };
        var roles = new Option<string[]>("--role")
        {
            Description = "Cluster mode: a cluster role of this node (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var committerRole = new Option<string?>("--committer-role")
        {
            Description = "Cluster mode: only nodes with this role may hold the committer (they must reach the memory's folder).",
        };
        var idleExit = new Option<double?>("--idle-exit")
        {
            Description = "Exit after this many seconds without requests, once nothing is waiting for a commit (0: never; the default for `elf serve`).",
        };
        var autoStarted = new Option<bool>("--auto-started")
        {
            Description = "Set by `elf` when it starts a host because none answered: exit when idle, after elf.host.idle-exit or $ELF_IDLE_EXIT seconds.",
        };
        var command = new Command("serve", """
            Run the host for one memory in the foreground: the actors, and the named pipe that `elf` commands talk to.
            SIGTERM or Ctrl-C (or `elf stop`) stops it gracefully: every acknowledged record is committed first.
            Only one host serves a memory; a second one exits 1 and says which process holds it.
            """)
        {
            basePath, config, verbose, clusterPort, clusterHost, seedNodes, roles, committerRole, idleExit, autoStarted,
        };
        command.SetAction(async (parse, _) =>
        {
            StartTrace.Mark("serve action");
            var paths = MemoryPaths.Resolve(parse.GetValue(basePath));
            foreach (var file in parse.GetValue(config) ?? [])
            {
                if (!File.Exists(file))
                {
                    await Console.Error.WriteLineAsync($"elf serve: the configuration file {file} does not exist");
                    return ExitCodes.InvalidInput;
                }
            }
            if (IdlePeriod(parse.GetValue(idleExit), parse.GetValue(autoStarted), out var idle) is { } invalid)
            {
                await Console.Error.WriteLineAsync("elf serve: " + invalid);
                return ExitCodes.InvalidInput;
            }
            ElfClusterOptions? cluster = null;
            if (parse.GetValue(clusterPort) is { } port)
            {
                if (port is < 1 or > 65535)
                {
                    await Console.Error.WriteLineAsync($"elf serve: --cluster-port must be between 1 and 65535 (got {port})");
                    return ExitCodes.InvalidInput;
                }
                cluster = new ElfClusterOptions
                {
                    Port = port,
                    Hostname = parse.GetValue(clusterHost) ?? "127.0.0.1",
                    SeedNodes = parse.GetValue(seedNodes) ?? [],
                    Roles = parse.GetValue(roles) ?? [],
                    CommitterRole = parse.GetValue(committerRole),
                };
            }
            return await ServeAsync(paths, new HostSettings
            {
                ServePipe = true,
                ConfigFiles = parse.GetValue(config) ?? [],
                MinimumLogLevel = parse.GetValue(verbose) || Environment.GetEnvironmentVariable(VerboseVariable) == "1" ? LogLevel.Information : LogLevel.Warning,
                IdleExit = idle,
                AutoStarted = parse.GetValue(autoStarted),
            }, cluster);
        });
        return command;
    }

    /// <summary>$ELF_VERBOSE=1: the host logs at Information level, as with --verbose (for a host that `elf` starts by itself).</summary>
    public const string VerboseVariable = "ELF_VERBOSE";

    /// <summary>$ELF_IDLE_EXIT: seconds an auto-started host waits without requests before it exits (0: never).</summary>
    public const string IdleExitVariable = "ELF_IDLE_EXIT";

    /// <summary>
    /// The idle period this host is told to use, or null when elf.host.idle-exit decides (an auto-started host without
    /// $ELF_IDLE_EXIT); the reason when a value is not a number of seconds ≥ 0.
    /// </summary>
    private static string? IdlePeriod(double? option, bool autoStarted, out TimeSpan? period)
    {
        period = null;
        var (value, source) = option is { } seconds ? (seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--idle-exit")
            : autoStarted ? (Environment.GetEnvironmentVariable(IdleExitVariable), "$" + IdleExitVariable)
            : ("0", "");
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            || parsed < 0 || parsed > 31_536_000)
            return $"{source} must be a number of seconds from 0 (never) to 31536000 (got '{value}')";
        period = TimeSpan.FromSeconds(parsed);
        return null;
    }

    public static async Task<int> ServeAsync(MemoryPaths paths, HostSettings settings, ElfClusterOptions? cluster = null)
    {
        // A cluster node has its own pipe, lock and pid file (named after its port): several serve one memory.
        // A single-node host ignores $ELF_NODE: the memory's one pipe and lock are exactly as before.
        paths = paths with { Node = cluster?.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        Posix.UseElfUmask(); // before anything is created: the DB, folders and record files are the user's alone
        if (paths.RefusalReason() is { } refusal)
        {
            await Console.Error.WriteLineAsync("elf serve: " + refusal);
            return ExitCodes.Failure;
        }
        try
        {
            Directory.CreateDirectory(paths.StateDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"elf serve: cannot use {paths.BasePath}: {e.Message}");
            return ExitCodes.Failure;
        }
        // Everything the host writes to stderr goes to memory/.elf/host.log, rotated by size (`elf logs` shows it); a
        // foreground `elf serve` keeps its terminal too. An auto-started host's stderr already is that file (for what
        // the runtime itself prints on a crash), so it is not written twice.
        HostLog.Capture(HostAddress.LogFile(paths), settings.AutoStarted ? null : Console.Error);
        HostLock? hostLock;
        string? holder;
        try
        {
            HostLock.TryAcquire(paths, out hostLock, out holder);
        }
        catch (HostAddressException e)
        {
            await Console.Error.WriteLineAsync("elf serve: " + e.Message);
            return ExitCodes.Failure;
        }
        if (hostLock is null)
        {
            await Console.Error.WriteLineAsync($"elf serve: another elf host ({holder}) is already serving {paths.BasePath}; not starting a second one");
            return ExitCodes.Failure;
        }
        using (hostLock)
        {
            try
            {
                if (settings.ServePipe) Pipe.PipeServer.CheckSocketPath(paths);
            }
            catch (HostAddressException e)
            {
                await Console.Error.WriteLineAsync("elf serve: " + e.Message);
                return ExitCodes.Failure;
            }
            StartTrace.Mark("host lock");
            // The memory's folder as this host opens it (its device and inode): deleted, moved or replaced, it is not written into.
            var options = new ElfActorsOptions { Paths = paths, Cluster = cluster, Folder = new Core.MemoryFolder(paths) };
            // A single-node host records from its socket before its actor system is up (docs/adr/0053).
            Early? early = null;
            if (settings.ServePipe && cluster is null)
            {
                try
                {
                    early = await Early.StartAsync(options, settings);
                }
                catch (Exception e) when (e is HostAddressException or Core.Git.UnsupportedRepositoryException)
                {
                    await Console.Error.WriteLineAsync("elf serve: " + e.Message);
                    return ExitCodes.Failure;
                }
                options = options with { MemoryPrepared = true };
            }
            using var earlyToDispose = early;
            IHost host;
            try
            {
                // The actor system starts on a thread of its own while the socket already records.
                host = early is null
                    ? EmbeddedHost.Build(options, settings)
                    : await Task.Factory.StartNew(() => EmbeddedHost.Build(options, settings, early.Configuration, early.Server),
                        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (Exception e) when (early is not null)
            {
                await early.FailAsync(e);
                throw;
            }
            using var hostToDispose = host;
            StartTrace.Mark("generic host built");
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            // SignalLifetime turns SIGTERM, Ctrl-C and SIGQUIT into a host stop; the stop drains the outbox.
            lifetime.ApplicationStopping.Register(() => Console.Error.WriteLine(options.Folder.GoneReason is null
                ? "elf serve: stopping; committing every acknowledged record, then exiting"
                : "elf serve: stopping; the memory's folder is gone, so nothing more can be committed"));
            await Console.Error.WriteLineAsync($"elf serve: serving {paths.BasePath} (pid {Environment.ProcessId}){(cluster is null ? "" : $" as cluster node {cluster.Hostname}:{cluster.Port}")}");
            try
            {
                if (early is null) await host.RunAsync();
                else await Task.Factory.StartNew(() => host.RunAsync(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            }
            catch (Exception e) when (early is not null && !early.HandedOff)
            {
                // The host did not start: requests waiting for the actors are answered with the reason, the socket closes.
                // What was recorded early is in the outbox, committed by the next host.
                await early.FailAsync(e);
                if (e is not (HostAddressException or Core.Git.UnsupportedRepositoryException)) throw;
                await Console.Error.WriteLineAsync("elf serve: " + e.Message);
                return ExitCodes.Failure;
            }
            catch (Exception e) when (e is HostAddressException or Core.Git.UnsupportedRepositoryException)
            {
                // The socket's path taken by something else (docs/security.md), or a repository refused before anything
                // was written (SHA-256, a git older than 2.30): one line that names the cause, the last of the log,
                // which `elf` shows when the host it started exits.
                await Console.Error.WriteLineAsync("elf serve: " + e.Message);
                return ExitCodes.Failure;
            }
            if (cluster is not null)
            {
                // Other nodes may still be recording; their records are the cluster committer's business.
                await Console.Error.WriteLineAsync($"elf serve: node {cluster.Port} stopped");
                return ExitCodes.Success;
            }
            if (options.Folder.GoneReason is { } gone)
            {
                // Nothing to read at the path (or another memory's): what this host did is accounted for from its own counts.
                await Console.Error.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"elf serve: stopped: {gone}; this host acknowledged {options.Monitor.Acknowledged} records and committed {options.Monitor.Committed} to that memory's repository; what it had not committed went with the folder"));
                return ExitCodes.Failure;
            }
            var pending = Core.Storage.OutboxQueries.Counts(paths).Pending;
            if (pending > 0)
            {
                await Console.Error.WriteLineAsync($"elf serve: stopped with {pending} records not yet committed; they are committed on the next start");
                return ExitCodes.Failure;
            }
            await Console.Error.WriteLineAsync("elf serve: stopped; every acknowledged record is committed");
            return ExitCodes.Success;
        }
    }

    /// <summary>
    /// `elf serve`'s start before the actor system (docs/adr/0053): the configuration read, the memory prepared (an index
    /// rebuilt if missing, the repository, the index's migrations, a crash's repair), then the socket bound and serving
    /// records with an <see cref="Pipe.EarlyRequestHandler"/> until the host's start hands it to the actors.
    /// </summary>
    private sealed class Early : IDisposable
    {
        public required Akka.Configuration.Config Configuration { get; init; }
        public required Pipe.EarlyRequestHandler Handler { get; init; }
        public required Pipe.PipeServer Server { get; init; }

        public bool HandedOff => Handler.HandedOff;

        public static async Task<Early> StartAsync(ElfActorsOptions options, HostSettings settings)
        {
            // On the other core while this one reads the configuration: the repository checked (a git too old or a SHA-256
            // repository refused before anything is written; two git processes to wait for) or made. The first request's
            // code has been compiling there since the process started (ServeWarmUp).
            var repository = Task.Run(() =>
            {
                Core.Git.GitStore.EnsureRepository(options.Paths);
                StartTrace.Mark("  (beside) repository checked");
            });
            var configuration = EmbeddedHost.Configuration(options, settings);
            StartTrace.Mark("  hocon parsed");
            var elfSettings = ElfSettings.From(configuration);
            StartTrace.Mark("configuration read");
            await repository;
            StartTrace.Mark("repository checked");
            // The index the preparation opened is the one the early handler records on: not closed (a WAL checkpoint) and
            // opened again (docs/adr/0057).
            var index = ElfActorsHosting.PrepareMemoryAndOpenIndex(options, elfSettings, warning => Console.Error.WriteLine("elf serve: " + warning), repositoryEnsured: true);
            var handler = new Pipe.EarlyRequestHandler(options.Paths, elfSettings, options.Monitor, options.Clock, index);
            try
            {
                var server = await Pipe.PipeServer.StartEarlyAsync(options.Paths, handler, new EarlyLog(typeof(Pipe.PipeServer).FullName!, settings.MinimumLogLevel));
                return new Early { Configuration = configuration, Handler = handler, Server = server };
            }
            catch
            {
                handler.Dispose();
                throw;
            }
        }

        /// <summary>The host did not start: what waits for the actors is answered with <paramref name="reason"/>, and the socket is closed.</summary>
        public async Task FailAsync(Exception reason)
        {
            Handler.Fail(reason);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Server.StopAsync(timeout.Token);
        }

        public void Dispose() => Handler.Dispose();
    }
}
