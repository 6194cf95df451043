using System.Globalization;
using ElfActors.Contracts.Client;
using ElfActors.Contracts.Wire;
using ElfActors.Core.Git;
using ElfActors.Core.Import;
using ElfActors.Core.Storage;
using Microsoft.Data.Sqlite;

namespace ElfActors.Host.Doctor;

/// <summary>Where `elf doctor` looks: the memory, the folder holding elf and elf-host, and the environment the shims see.</summary>
public sealed record DoctorContext(MemoryPaths Memory, string InstallDirectory, Func<string, string?> Environment, DateTimeOffset Now)
{
    /// <summary>Below this, records may fail to be written: the check fails.</summary>
    public long FailBelowBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>Below this, the check warns.</summary>
    public long WarnBelowBytes { get; init; } = 1024L * 1024 * 1024;
}

/// <summary>
/// `elf doctor`: what breaks people in practice, checked read-only, one line each with its fix (docs/cli.md#doctor).
/// Nothing here writes the memory, the repository or the runtime folder: a doctor that "fixes" a lock could take one
/// a person's git still holds.
/// </summary>
public static class MemoryDoctor
{
    /// <summary>A lock file younger than this may be a git that has just taken it: reported, never called stale.</summary>
    public static readonly TimeSpan LockGrace = TimeSpan.FromSeconds(10);

    public static async Task<IReadOnlyList<DoctorCheck>> RunAsync(DoctorContext context)
    {
        var checks = new List<DoctorCheck> { Install(context) };
        var git = Git();
        checks.Add(git);
        checks.Add(RuntimeFolder());
        var (host, running, version, autoStarted) = await HostProbeAsync(context.Memory);
        checks.Add(host);
        checks.Add(Service(context, running, version, autoStarted));
        checks.AddRange(Memory(context, gitUsable: git.Level != DoctorLevel.Fail));
        checks.Add(Shims(context));
        checks.Add(Disk(context));
        return checks;
    }

    /// <summary>elf beside elf-host, of the same release (a half-updated install mixes them).</summary>
    public static DoctorCheck Install(DoctorContext context)
    {
        var elf = Path.Combine(context.InstallDirectory, OperatingSystem.IsWindows() ? "elf.exe" : "elf");
        if (!File.Exists(elf))
            return DoctorCheck.Warn("install", $"elf-host {ElfVersion.Current} in {context.InstallDirectory}, but no elf beside it",
                "reinstall ElfActors (docs/install.md): elf and elf-host belong in one folder");
        var (exit, stdout, stderr) = Run(elf, context.InstallDirectory, "--version");
        var version = stdout.Trim();
        if (exit != 0) return DoctorCheck.Fail("install", $"{elf} --version exits {exit}: {stderr.Trim()}", "reinstall ElfActors (docs/install.md)");
        if (ElfVersion.Compare(version, ElfVersion.Current) != 0)
            return DoctorCheck.Fail("install", $"{elf} is {version} but elf-host beside it is {ElfVersion.Current}",
                "reinstall ElfActors (docs/install.md): the two come from one release");
        return DoctorCheck.Ok("install", $"elf {version} with elf-host beside it in {context.InstallDirectory}");
    }

    /// <summary>git on the PATH, and recent enough.</summary>
    public static DoctorCheck Git()
    {
        var (exit, stdout, stderr) = Run(GitCli.Executable, Directory.GetCurrentDirectory(), "--version");
        if (exit == -1) return DoctorCheck.Fail("git", $"git is not on the PATH ({stderr.Trim()})", "install git (apt-get install git, brew install git, …)");
        if (GitCli.ParseVersion(stdout) is not { } version)
            return DoctorCheck.Warn("git", $"cannot read git's version from '{stdout.Trim()}'", $"use git {GitCli.MinimumVersion} or later");
        return GitCli.TooOld(version) is not null
            ? DoctorCheck.Fail("git", $"git {version} is older than {GitCli.MinimumVersion}", $"install git {GitCli.MinimumVersion} or later")
            : DoctorCheck.Ok("git", $"git {version}");
    }

    /// <summary>The per-user runtime folder (sockets, locks): private to this user (docs/adr/0015).</summary>
    public static DoctorCheck RuntimeFolder()
    {
        var folder = HostAddress.RuntimeDirectory();
        if (HostAddress.RuntimeDirectoryProblem() is { } problem)
            return DoctorCheck.Fail("runtime folder", problem, $"remove it (rm -rf {folder}) or set $XDG_RUNTIME_DIR to a private folder of yours");
        if (!Posix.Supported) return DoctorCheck.Info("runtime folder", $"{folder} (ownership and modes are checked on Linux only)");
        return Posix.LinkStatus(folder) is { } status
            ? DoctorCheck.Ok("runtime folder", $"{folder}: private ({HostAddress.Describe(status)})")
            : DoctorCheck.Info("runtime folder", $"{folder} does not exist yet (the first host creates it, 0700)");
    }

    /// <summary>The memory's host: running or not (information either way), and its release against this one.</summary>
    public static async Task<DoctorCheck> HostAsync(MemoryPaths memory) => (await HostProbeAsync(memory)).Check;

    /// <summary>
    /// The memory's service (`elf service install`), when its unit or agent exists: a newer elf's first record stops the
    /// service's older host and starts a host of its own, which the service manager does not replace (docs/install.md#service),
    /// so a service whose host is gone, or of another release than this elf, is said plainly, with the command that
    /// restarts it with this release. <paramref name="hostVersion"/> is null for a host older than the version handshake.
    /// </summary>
    public static DoctorCheck Service(DoctorContext context, bool hostRunning, string? hostVersion, bool hostAutoStarted)
    {
        if (ServiceFiles.OfThisSystem is not { } manager) return DoctorCheck.Info("service", "no service manager here (systemd or launchd): `elf service` is not available");
        var file = ServiceFiles.FilePath(manager, context.Memory, context.Environment);
        var name = ServiceFiles.Name(manager, context.Memory);
        var restart = $"elf service install --base {context.Memory.BasePath}";
        if (!File.Exists(file)) return DoctorCheck.Info("service", $"none installed (optional: `{restart}` keeps the host always on)");
        if (!hostRunning)
            return DoctorCheck.Warn("service", $"{name} is installed but no host runs: after an upgrade the newer elf stops the service's host, " +
                                               "and the service manager does not start it again", $"`{restart}` starts it with this release");
        if (hostVersion is null || ElfVersion.Compare(hostVersion, ElfVersion.Current) != 0)
            return DoctorCheck.Warn("service", $"{name} is installed and the running host is release {hostVersion ?? "older than the version handshake"}, " +
                                               $"not this elf's {ElfVersion.Current}: a service's host is not restarted by an upgrade",
                $"`{restart}` restarts it with this release (after it commits everything)");
        if (hostAutoStarted)
            return DoctorCheck.Warn("service", $"{name} is installed but the running host is one elf started by itself (it exits when idle), " +
                                               "not the service's: after an upgrade the newer elf replaces the service's host with its own",
                $"`{restart}` hands the memory back to the service (after the running host commits everything)");
        return DoctorCheck.Ok("service", $"{name} is installed ({file}); the running host is this release");
    }

    private static async Task<(DoctorCheck Check, bool Running, string? Version, bool AutoStarted)> HostProbeAsync(MemoryPaths memory)
    {
        string socket;
        try
        {
            socket = HostAddress.PipeName(memory);
            if (HostAddress.SquatterAt(socket) is { } squatter)
                return (DoctorCheck.Fail("host", squatter, $"rm -rf {socket}"), false, null, false);
        }
        catch (HostAddressException e)
        {
            return (DoctorCheck.Fail("host", e.Message, "see the runtime folder's line"), false, null, false);
        }
        HostClient? client;
        try
        {
            client = await HostClient.TryConnectAsync(memory, TimeSpan.FromMilliseconds(200));
        }
        catch (HostAddressException e)
        {
            return (DoctorCheck.Fail("host", e.Message, $"rm {socket}"), false, null, false);
        }
        if (client is null) return (DoctorCheck.Info("host", "not running (the next record starts one)"), false, null, false);
        await using (client)
        {
            WireResponse response;
            try
            {
                response = await client.SendAsync(new WireRequest { Command = WireProtocol.Commands.Status }, TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                return (DoctorCheck.Warn("host", $"a host listens on {socket} but does not answer ({e.Message})",
                    $"see `elf logs --base {memory.BasePath}`; `elf stop --base {memory.BasePath}` stops it after it commits"), true, null, false);
            }
            var status = response.HostStatus;
            var version = status?.Version ?? response.HostVersion;
            var pid = status?.Pid is { } p ? $"pid {p}" : "pid ?";
            return (Verdict(), true, version, status?.AutoStarted == true);

            DoctorCheck Verdict()
            {
                if (version is null)
                    return DoctorCheck.Warn("host", $"running ({pid}) but older than the version handshake",
                        $"`elf stop --base {memory.BasePath}`; the next record starts this release's host");
                var order = ElfVersion.Compare(version, ElfVersion.Current);
                if (order < 0)
                    return DoctorCheck.Info("host", $"running ({pid}), release {version}, older than this {ElfVersion.Current}: the next record replaces it after it commits everything");
                if (order > 0)
                    return DoctorCheck.Warn("host", $"running ({pid}), release {version}, newer than this {ElfVersion.Current}: this elf refuses to record through it",
                        "use the newer elf, or `elf stop` to go back to this release's host");
                var error = status?.LastError is { } last ? $"; its last error: {last}" : "";
                return error.Length == 0
                    ? DoctorCheck.Ok("host", $"running ({pid}), release {version}, {status?.Pending ?? 0} records waiting for a commit")
                    : DoctorCheck.Warn("host", $"running ({pid}), release {version}{error}", $"see `elf logs --base {memory.BasePath}`");
            }
        }
    }

    /// <summary>The memory folder, its git repository and its database.</summary>
    public static IEnumerable<DoctorCheck> Memory(DoctorContext context, bool gitUsable)
    {
        var memory = context.Memory;
        if (!Directory.Exists(memory.BasePath))
        {
            yield return DoctorCheck.Info("memory", $"no memory at {memory.BasePath} yet (the first record creates it)");
            yield break;
        }
        yield return memory.RefusalReason() is { } refusal
            ? DoctorCheck.Fail("memory", refusal, "make it a plain folder: ElfActors does not write through symbolic links")
            : DoctorCheck.Ok("memory", memory.BasePath);
        if (gitUsable) foreach (var check in Repository(context)) yield return check;
        yield return Database(memory.DatabasePath);
        if (File.Exists(memory.DatabasePath)) yield return Schema(memory.DatabasePath);
    }

    /// <summary>The repository: there at all, its object format, HEAD on a branch, filters, sparse checkout, locks.</summary>
    public static IEnumerable<DoctorCheck> Repository(DoctorContext context)
    {
        var root = context.Memory.BasePath;
        var (inside, top, _) = Run(GitCli.Executable, root, "rev-parse", "--show-toplevel");
        if (inside != 0 || Path.GetFullPath(top.Trim()) != root)
        {
            yield return Directory.Exists(Path.Combine(root, "scripts")) && !Directory.Exists(Path.Combine(root, ".git"))
                ? DoctorCheck.Info("repository", $"{root} is an ELF install without git", "`elf adopt` makes it a repository (docs/switching-from-elf.md)")
                : DoctorCheck.Info("repository", $"{root} is not the top of a git repository (the first record makes it one)");
            yield break;
        }
        var problems = new List<DoctorCheck>();
        var format = Run(GitCli.Executable, root, "rev-parse", "--show-object-format").Stdout.Trim();
        if (format is not ("" or "sha1"))
            problems.Add(DoctorCheck.Fail("repository", $"object format {format}: ElfActors writes SHA-1 repositories only",
                "keep this memory in a SHA-1 repository (git init --object-format=sha1)"));
        var (onBranch, branch, _) = Run(GitCli.Executable, root, "symbolic-ref", "--quiet", "--short", "HEAD");
        if (onBranch != 0)
            problems.Add(DoctorCheck.Warn("repository", "HEAD is detached: records are committed on the memory's branch, not where HEAD points",
                "git switch <the memory's branch> (docs/adr/0018)"));
        var probes = new[] { "memory/failures/x.md", "memory/heuristics/x.md", "memory/decisions/x.md" };
        var (_, attributes, _) = Run(GitCli.Executable, root, ["check-attr", "filter", "--", .. probes]);
        foreach (var line in attributes.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];
            if (value is "unspecified" or "unset") continue;
            problems.Add(DoctorCheck.Fail("repository", $"a clean/smudge filter applies to records ({line.Trim()}): git would store other bytes than ElfActors writes",
                "remove that filter from .gitattributes (or .git/info/attributes) for memory/"));
            break;
        }
        if (Run(GitCli.Executable, root, "config", "--bool", "core.sparseCheckout").Stdout.Trim() == "true")
            problems.Add(DoctorCheck.Warn("repository", "sparse checkout is on: records outside the sparse set are committed but not checked out",
                "git sparse-checkout disable, or include memory/ in the sparse set"));
        problems.AddRange(Locks(context));
        if (problems.Count == 0)
            yield return DoctorCheck.Ok("repository", $"on branch {branch.Trim()}, {(format.Length == 0 ? "sha1" : format)}, no filters, no locks");
        foreach (var problem in problems) yield return problem;
    }

    /// <summary>git's lock files: held by a live process (information), fresh (a git may be taking it), or stale (a fault).</summary>
    public static IEnumerable<DoctorCheck> Locks(DoctorContext context)
    {
        var gitDirectory = Path.Combine(context.Memory.BasePath, ".git");
        if (!Directory.Exists(gitDirectory)) yield break;
        var locks = Directory.EnumerateFiles(gitDirectory, "*.lock", SearchOption.TopDirectoryOnly)
            .Concat(Directory.Exists(Path.Combine(gitDirectory, "refs"))
                ? Directory.EnumerateFiles(Path.Combine(gitDirectory, "refs"), "*.lock", SearchOption.AllDirectories)
                : []);
        foreach (var path in locks.Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(context.Memory.BasePath, path);
            var age = context.Now - File.GetLastWriteTimeUtc(path);
            var ageText = $"{Math.Max(0, age.TotalSeconds).ToString("0", CultureInfo.InvariantCulture)}s old";
            if (StaleLocks.PossibleHolder(path) is { } holder)
                yield return DoctorCheck.Info("git lock", $"{relative} ({ageText}) is held by {holder}: the committer waits for it",
                    "nothing, unless that process is stuck (then end it: kill " + holder.Pid.ToString(CultureInfo.InvariantCulture) + ")");
            else if (!OperatingSystem.IsLinux())
                yield return DoctorCheck.Warn("git lock", $"{relative} ({ageText}); cannot tell here whether a process holds it", $"if no git runs in the memory: rm {path}");
            else if (age < LockGrace)
                yield return DoctorCheck.Info("git lock", $"{relative} ({ageText}): a git may be taking it just now", "run elf doctor again");
            else
                yield return DoctorCheck.Fail("git lock", $"{relative} ({ageText}) is stale: no process has it open and no git runs in the repository",
                    $"rm {path}");
        }
    }

    /// <summary>PRAGMA quick_check on the live database, read-only.</summary>
    public static DoctorCheck Database(string database)
    {
        if (!File.Exists(database)) return DoctorCheck.Info("database", "no memory/index.db yet (the first record creates it)");
        try
        {
            using var connection = ReadOnly(database);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check";
            var lines = new List<string>();
            using (var reader = command.ExecuteReader())
                while (reader.Read()) lines.Add(reader.GetString(0));
            return lines is ["ok"]
                ? DoctorCheck.Ok("database", "memory/index.db: quick_check ok")
                : DoctorCheck.Fail("database", "memory/index.db is corrupt: " + string.Join("; ", lines.Take(3)), CorruptFix);
        }
        catch (SqliteException e) when (ReadOnlyIndex.IsHotJournal(e))
        {
            return HotJournal("database");
        }
        catch (SqliteException e)
        {
            return DoctorCheck.Fail("database", $"memory/index.db cannot be read: {e.Message}", CorruptFix);
        }
    }

    /// <summary>The doctor reads and never writes: a hot journal is reported, and rolled back by the next host's start.</summary>
    private static DoctorCheck HotJournal(string check) => DoctorCheck.Warn(check,
        "memory/index.db-journal: a write to the index was cut short (a process killed mid-write); the next open rolls it back",
        "`elf flush` (the host rolls it back as it opens the index); never move index.db or its journal apart");

    private const string CorruptFix = "`elf stop`, move memory/index.db aside, then `elf reindex` rebuilds it from the files and git";

    /// <summary>ELF's whole schema (docs/adr/0020): a missing table breaks ELF's own hooks and dashboard.</summary>
    public static DoctorCheck Schema(string database)
    {
        try
        {
            using var connection = ReadOnly(database);
            var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT name FROM sqlite_master";
                using var reader = command.ExecuteReader();
                while (reader.Read()) present.Add(reader.GetString(0));
            }
            var missing = ElfSchema.Objects.Where(o => !present.Contains(o.Name)).ToList();
            var tables = missing.Where(o => o.Type == "table").Select(o => o.Name).ToList();
            const string fix = "`elf flush` (a host starting on the memory adds what is missing, additively, never dropping anything)";
            if (tables.Count > 0) return DoctorCheck.Fail("elf schema", $"{tables.Count} of ELF's tables missing: {string.Join(", ", tables.Take(8))}{(tables.Count > 8 ? ", …" : "")}", fix);
            if (missing.Count > 0)
                return DoctorCheck.Warn("elf schema", $"every ELF table, but {missing.Count} other objects missing: {string.Join(", ", missing.Take(5).Select(o => $"{o.Type} {o.Name}"))}", fix);
            return DoctorCheck.Ok("elf schema", $"all {ElfSchema.Objects.Count} of ELF's tables, indexes, views and triggers");
        }
        catch (SqliteException e) when (ReadOnlyIndex.IsHotJournal(e))
        {
            return HotJournal("elf schema");
        }
        catch (SqliteException e)
        {
            return DoctorCheck.Fail("elf schema", $"cannot read memory/index.db's schema: {e.Message}", CorruptFix);
        }
    }

    /// <summary>
    /// An ELF install's record scripts: ELF's own (information: not adopted), or the shims, which must find an `elf` of this
    /// release as they look for it (ELF_BIN, the PATH, beside them, ~/.local/elf/elf).
    /// </summary>
    public static DoctorCheck Shims(DoctorContext context)
    {
        var scripts = Path.Combine(context.Memory.BasePath, "scripts");
        var failure = Path.Combine(scripts, "record-failure.sh");
        if (!File.Exists(failure)) return DoctorCheck.Info("shims", "no ELF install here (no scripts/record-failure.sh): nothing to check");
        var shimmed = ElfAdopter.ShimmedScripts.Where(s => File.Exists(Path.Combine(scripts, s)) && IsShim(Path.Combine(scripts, s))).ToList();
        if (shimmed.Count == 0)
            return DoctorCheck.Info("shims", "ELF's own record scripts are in scripts/: ELF's hooks write past ElfActors",
                $"`elf adopt --base {context.Memory.BasePath}` puts the shims in their place (docs/switching-from-elf.md)");
        var notShimmed = ElfAdopter.ShimmedScripts.Where(s => File.Exists(Path.Combine(scripts, s)) && !shimmed.Contains(s)).ToList();
        if (!File.Exists(Path.Combine(scripts, ElfAdopter.ShimLibrary)))
            return DoctorCheck.Fail("shims", $"the shims in scripts/ lack {ElfAdopter.ShimLibrary}: every record script fails",
                $"`elf adopt --undo` then `elf adopt` (base {context.Memory.BasePath})");
        var found = ElfTheShimsFind(context, scripts);
        if (found is null)
            return DoctorCheck.Fail("shims", "the shims in scripts/ find no elf (ELF_BIN unset, none on the PATH, none beside them)",
                $"put elf on the PATH, or set ELF_BIN for ELF's hooks, or `elf adopt --undo` then `elf adopt`");
        var (exit, stdout, _) = Run(found, scripts, "--version");
        if (exit != 0) return DoctorCheck.Fail("shims", $"the shims find {found}, which does not run (exit {exit})", "put a working elf on the PATH or set ELF_BIN");
        if (ElfVersion.Compare(stdout.Trim(), ElfVersion.Current) != 0)
            return DoctorCheck.Warn("shims", $"the shims find {found}, release {stdout.Trim()}, not this {ElfVersion.Current}",
                "put this release's elf first on the PATH (or set ELF_BIN), so hooks and you use one release");
        if (notShimmed.Count > 0)
            return DoctorCheck.Warn("shims", $"{string.Join(", ", notShimmed)} in scripts/ are ELF's own, the others shims", "`elf adopt --undo` then `elf adopt`");
        return DoctorCheck.Ok("shims", $"{string.Join(", ", shimmed)} are the shims; they find {found} ({stdout.Trim()})");
    }

    private static bool IsShim(string script)
    {
        try
        {
            return File.ReadAllText(script).Contains(ElfAdopter.ShimLibrary, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The shims' own search (scripts/elf-shims/_elf-shim-common.sh, elf_shim_find_elf), in their environment.</summary>
    private static string? ElfTheShimsFind(DoctorContext context, string scripts)
    {
        if (context.Environment("ELF_BIN") is { Length: > 0 } bin) return bin;
        foreach (var folder in (context.Environment("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (Executable(Path.Combine(folder, "elf"))) return Path.Combine(folder, "elf");
        if (Executable(Path.Combine(scripts, "elf"))) return Path.Combine(scripts, "elf");
        var home = context.Environment("HOME");
        return home is not null && Executable(Path.Combine(home, ".local", "elf", "elf")) ? Path.Combine(home, ".local", "elf", "elf") : null;
    }

    private static bool Executable(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0);

    /// <summary>Free space where the memory lives (or would).</summary>
    public static DoctorCheck Disk(DoctorContext context)
    {
        var folder = context.Memory.BasePath;
        while (!Directory.Exists(folder) && Path.GetDirectoryName(folder) is { } parent) folder = parent;
        long free;
        try
        {
            free = new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return DoctorCheck.Warn("disk", $"cannot read the free space of {folder}: {e.Message}", "check it with df");
        }
        var text = $"{Size(free)} free for {folder}";
        if (free < context.FailBelowBytes) return DoctorCheck.Fail("disk", text, "free some space: records fail when the disk is full");
        if (free < context.WarnBelowBytes) return DoctorCheck.Warn("disk", text, "free some space soon");
        return DoctorCheck.Ok("disk", text);
    }

    private static string Size(long bytes) =>
        bytes >= 1L << 30 ? $"{(bytes / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture)} GB" : $"{bytes >> 20} MB";

    private static SqliteConnection ReadOnly(string database)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Runs a program (git, elf) with git's environment; exit -1 and the reason on stderr when it cannot be started.</summary>
    private static (int Exit, string Stdout, string Stderr) Run(string file, string workingDirectory, params string[] arguments)
    {
        try
        {
            var (exit, stdout, stderr) = ProgramRunner.Run(file, arguments, workingDirectory, GitCli.GitEnvironment());
            return (exit, stdout, stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }
}
