using System.Diagnostics;
using ElfActors.Actors;
using ElfActors.Core;
using ElfActors.Core.Storage;
using ElfActors.Host.Doctor;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Host;

/// <summary>
/// `elf doctor`'s checks on real set-ups, each broken the way people break them: a real git repository, a real
/// index.db, damaged with git, sqlite3 and plain file writes, never through the code under test.
/// </summary>
public sealed class DoctorTests : IDisposable
{
    private readonly TempMemory _memory = new();

    public void Dispose() => _memory.Dispose();

    private DoctorContext Context(IDictionary<string, string>? environment = null) =>
        new(_memory.Paths, AppContext.BaseDirectory, name => environment is null ? Environment.GetEnvironmentVariable(name) : environment.TryGetValue(name, out var v) ? v : null,
            DateTimeOffset.UtcNow);

    /// <summary>A memory as the host leaves it: git repository with a first commit, ELF's whole schema.</summary>
    private void Prepare()
    {
        MemoryBootstrap.Prepare(_memory.Paths, ElfSettings.Default.Index, flushFilesToDisk: false);
        File.WriteAllText(Path.Combine(_memory.BasePath, "README.md"), "memory\n");
        Tools.Git(_memory.BasePath, "add", "README.md");
        Tools.GitCommitAsPerson(_memory.BasePath, "first");
    }

    private static DoctorCheck Only(IEnumerable<DoctorCheck> checks, string name) => Assert.Single(checks, c => c.Name == name);

    [Fact]
    public void A_sound_memory_has_no_failure_and_an_absent_one_is_information()
    {
        var absent = new DoctorContext(new MemoryPaths(Path.Combine(_memory.BasePath, "not-yet")), AppContext.BaseDirectory, _ => null, DateTimeOffset.UtcNow);
        Assert.Equal(DoctorLevel.Info, Only(MemoryDoctor.Memory(absent, gitUsable: true), "memory").Level);

        Prepare();
        var checks = MemoryDoctor.Memory(Context(), gitUsable: true).ToList();

        Assert.All(checks, c => Assert.True(c.Level == DoctorLevel.Ok, $"{c.Name}: {c.LevelWord} {c.Message}"));
        Assert.Equal(["memory", "repository", "database", "elf schema"], checks.Select(c => c.Name));
    }

    [Fact]
    public void A_stale_git_lock_fails_with_its_removal_as_the_fix_and_a_held_one_is_information()
    {
        Prepare();
        var lockPath = Path.Combine(_memory.BasePath, ".git", "index.lock");
        File.WriteAllText(lockPath, "");
        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow.AddMinutes(-5));

        var stale = Only(MemoryDoctor.Locks(Context()), "git lock");
        Assert.Equal(DoctorLevel.Fail, stale.Level);
        Assert.Equal($"rm {lockPath}", stale.Fix);

        // A live process with the lock open (as a git in the middle of its work has): not the user's to remove.
        using var holder = Process.Start(new ProcessStartInfo("bash", ["-c", $"exec 3<'{lockPath}'; echo open; exec sleep 120"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        })!;
        try
        {
            Assert.Equal("open", holder.StandardOutput.ReadLine());
            var held = Only(MemoryDoctor.Locks(Context()), "git lock");
            Assert.Equal(DoctorLevel.Info, held.Level);
            Assert.Contains($"pid {holder.Id}", held.Message);
        }
        finally
        {
            holder.Kill();
        }
    }

    [Fact]
    public void A_corrupt_database_fails_quick_check()
    {
        Prepare();
        var database = _memory.DatabasePath;
        Tools.Run("sqlite3", _memory.BasePath, database, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
        var bytes = File.ReadAllBytes(database);
        Assert.True(bytes.Length > 8192, $"index.db is only {bytes.Length} bytes");
        // Every page after the first two overwritten: the schema page survives, the tables' pages do not.
        for (var i = 8192; i < bytes.Length; i++) bytes[i] = 0x5A;
        File.WriteAllBytes(database, bytes);

        var check = MemoryDoctor.Database(database);

        Assert.Equal(DoctorLevel.Fail, check.Level);
        Assert.Contains("reindex", check.Fix);
        var garbage = Path.Combine(_memory.BasePath, "garbage.db");
        File.WriteAllText(garbage, new string('x', 5000));
        Assert.Equal(DoctorLevel.Fail, MemoryDoctor.Database(garbage).Level);
    }

    [Fact]
    public void A_missing_elf_table_fails_and_a_missing_index_warns()
    {
        Prepare();
        var (code, _, stderr) = Tools.Run("sqlite3", _memory.BasePath, _memory.DatabasePath, "DROP INDEX IF EXISTS idx_learnings_domain;");
        Assert.True(code == 0, stderr);
        var index = MemoryDoctor.Schema(_memory.DatabasePath);
        Assert.Equal(DoctorLevel.Warn, index.Level);
        Assert.Contains("idx_learnings_domain", index.Message);

        (code, _, stderr) = Tools.Run("sqlite3", _memory.BasePath, _memory.DatabasePath, "DROP TABLE metrics;");
        Assert.True(code == 0, stderr);
        var table = MemoryDoctor.Schema(_memory.DatabasePath);
        Assert.Equal(DoctorLevel.Fail, table.Level);
        Assert.Contains("metrics", table.Message);
    }

    [Fact]
    public void A_detached_head_warns_and_a_filter_on_records_fails()
    {
        Prepare();
        Tools.Git(_memory.BasePath, "checkout", "-q", "--detach");
        var detached = MemoryDoctor.Repository(Context()).ToList();
        Assert.Contains(detached, c => c.Level == DoctorLevel.Warn && c.Message.Contains("detached"));
        Assert.DoesNotContain(detached, c => c.Level == DoctorLevel.Fail);

        File.WriteAllText(Path.Combine(_memory.BasePath, ".gitattributes"), "memory/** filter=lfs\n");
        var filtered = MemoryDoctor.Repository(Context()).ToList();
        Assert.Contains(filtered, c => c.Level == DoctorLevel.Fail && c.Message.Contains("filter: lfs"));
    }

    [Fact]
    public void Shims_that_find_no_elf_fail_and_elfs_own_scripts_are_information()
    {
        Prepare();
        var scripts = Directory.CreateDirectory(Path.Combine(_memory.BasePath, "scripts")).FullName;
        File.WriteAllText(Path.Combine(scripts, "record-failure.sh"), "#!/bin/bash\n# ELF's own\n");
        var own = MemoryDoctor.Shims(Context(new Dictionary<string, string>()));
        Assert.Equal(DoctorLevel.Info, own.Level);
        Assert.Contains("elf adopt", own.Fix);

        var shipped = Path.Combine(AppContext.BaseDirectory, "elf-shims");
        Assert.True(Directory.Exists(shipped), "the shims are not beside elf-host in the test's output");
        foreach (var shim in Directory.GetFiles(shipped)) File.Copy(shim, Path.Combine(scripts, Path.GetFileName(shim)), overwrite: true);
        var lost = MemoryDoctor.Shims(Context(new Dictionary<string, string> { ["PATH"] = "/nonexistent", ["HOME"] = _memory.BasePath }));
        Assert.Equal(DoctorLevel.Fail, lost.Level);
        Assert.Contains("find no elf", lost.Message);

        var broken = MemoryDoctor.Shims(Context(new Dictionary<string, string> { ["ELF_BIN"] = Path.Combine(_memory.BasePath, "no-such-elf") }));
        Assert.Equal(DoctorLevel.Fail, broken.Level);
    }

    [Fact]
    public void Too_little_free_disk_space_fails()
    {
        Assert.Equal(DoctorLevel.Ok, MemoryDoctor.Disk(Context() with { FailBelowBytes = 0, WarnBelowBytes = 0 }).Level);
        Assert.Equal(DoctorLevel.Warn, MemoryDoctor.Disk(Context() with { FailBelowBytes = 0, WarnBelowBytes = long.MaxValue }).Level);
        Assert.Equal(DoctorLevel.Fail, MemoryDoctor.Disk(Context() with { FailBelowBytes = long.MaxValue }).Level);
    }

    [Fact]
    public void The_service_line_says_when_an_installed_services_host_is_gone_of_another_release_or_replaced_by_an_auto_started_one()
    {
        if (ServiceFiles.OfThisSystem is not { } manager)
        {
            Console.WriteLine("no service manager on this system: the service line is information only");
            return;
        }
        var home = Path.Combine(_memory.BasePath, "home");
        var environment = new Dictionary<string, string> { ["HOME"] = home, ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config") };
        var context = Context(environment);
        var restart = $"elf service install --base {_memory.BasePath}";

        var none = MemoryDoctor.Service(context, hostRunning: true, ElfVersion.Current, hostAutoStarted: true);
        Assert.Equal(DoctorLevel.Info, none.Level);
        Assert.Contains("none installed", none.Message);

        // A unit (or agent) where `elf service install` puts it, found by the same name.
        var file = ServiceFiles.FilePath(manager, _memory.Paths, name => environment.GetValueOrDefault(name));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "installed\n");

        var gone = MemoryDoctor.Service(context, hostRunning: false, hostVersion: null, hostAutoStarted: false);
        Assert.Equal(DoctorLevel.Warn, gone.Level);
        Assert.Contains("no host runs", gone.Message);
        Assert.Contains(restart, gone.Fix);

        var older = MemoryDoctor.Service(context, hostRunning: true, "0.0.1+old", hostAutoStarted: false);
        Assert.Equal(DoctorLevel.Warn, older.Level);
        Assert.Contains("release 0.0.1+old", older.Message);
        Assert.Contains($"not this elf's {ElfVersion.Current}", older.Message);
        Assert.Contains(restart, older.Fix);

        var autoStarted = MemoryDoctor.Service(context, hostRunning: true, ElfVersion.Current, hostAutoStarted: true);
        Assert.Equal(DoctorLevel.Warn, autoStarted.Level);
        Assert.Contains("not the service's", autoStarted.Message);
        Assert.Contains(restart, autoStarted.Fix);

        var ok = MemoryDoctor.Service(context, hostRunning: true, ElfVersion.Current, hostAutoStarted: false);
        Assert.Equal(DoctorLevel.Ok, ok.Level);
        Assert.Contains(ServiceFiles.Name(manager, _memory.Paths), ok.Message);
    }
}
