using ElfActors.Actors;
using ElfActors.Core.Import;
using ElfActors.Core.Storage;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Conformance;

/// <summary>
/// `elf import` of a memory that ELF's own scripts built (install.sh's schema, query.py's tables, record-failure.sh,
/// record-heuristic.sh, record-decision.sh, record-spike.sh, record-assumption.sh, record-invariant.sh, the golden
/// rules): every record comes across, distinct records with the same title, domain and summary stay distinct, counts
/// read with sqlite3 are equal on both sides, and a second run adds nothing.
/// </summary>
public sealed class LosslessImportTests : IDisposable
{
    private readonly ElfHome _elf = new();
    private readonly TempMemory _target = new();

    private ProcessResult Script(string name, params string[] arguments)
    {
        var result = _elf.Bash(Path.Combine(_elf.BasePath, "scripts", name), _elf.BasePath, null, "", arguments);
        Assert.True(result.ExitCode == 0, $"{name}: {result}");
        return result;
    }

    private void BuildWithElfsScripts()
    {
        _elf.Install("scripts");
        _elf.Install("query");
        Directory.CreateDirectory(_elf.Paths.MemoryDirectory);
        var (code, _, stderr) = Tools.Run("sqlite3", _elf.BasePath, _elf.DatabasePath, ".read " + ElfSnapshot.File("templates", "init_db.sql"));
        Assert.True(code == 0, stderr);
        Assert.Equal(0, _elf.Python(Path.Combine(_elf.BasePath, "query", "query.py"), null, "--stats").ExitCode);
        File.Copy(ElfSnapshot.File("templates", "golden-rules.md"), Path.Combine(_elf.BasePath, "memory", "golden-rules.md"));

        // Two failures with the same title, domain and summary on different days: ELF's script, then the first one's
        // file and row moved to an earlier day (ELF names files by the day it runs).
        Script("record-failure.sh", "--title", "Flaky test", "--domain", "ci", "--summary", "it failed", "--severity", "2");
        var first = Directory.GetFiles(Path.Combine(_elf.BasePath, "memory", "failures")).Single();
        var earlier = Path.Combine(Path.GetDirectoryName(first)!, "20250101_flaky-test.md");
        File.Move(first, earlier);
        File.WriteAllText(earlier, File.ReadAllText(earlier).Replace("[Describe the failure in detail]", "the first time, in January"));
        Tools.Run("sqlite3", _elf.BasePath, _elf.DatabasePath, "UPDATE learnings SET filepath = 'memory/failures/20250101_flaky-test.md', created_at = '2025-01-01 10:00:00' WHERE id = 1");
        Script("record-failure.sh", "--title", "Flaky test", "--domain", "ci", "--summary", "it failed", "--severity", "2");
        Script("record-failure.sh", "--title", "Disk full", "--domain", "ops", "--severity", "critical");
        Script("record-heuristic.sh", "--domain", "ci", "--rule", "Retry flaky tests once", "--confidence", "0.6");
        Script("record-heuristic.sh", "--domain", "ci", "--rule", "Retry flaky tests once", "--confidence", "0.9", "--explanation", "said again");
        Script("record-heuristic.sh", "--domain", "ops", "--rule", "Watch the disk");
        Script("record-decision.sh", "--title", "Use one runner", "--context", "flaky", "--decision", "one", "--rationale", "less noise");
        Script("record-spike.sh", "--title", "Spike on runners", "--topic", "ci", "--question", "why", "--findings", "noise", "--time", "20", "--domain", "ci");
        Script("record-assumption.sh", "--assumption", "Runners are idle", "--context", "c", "--source", "s", "--confidence", "0.4", "--domain", "ci");
        Script("record-assumption.sh", "--assumption", "Disks are large", "--context", "c", "--source", "s", "--confidence", "0.5", "--domain", "ops");
        Script("record-invariant.sh", "--statement", "One runner per job", "--rationale", "r", "--domain", "ci");
    }

    private static readonly string[] Counted = ["learnings", "heuristics", "decisions", "spike_reports", "assumptions", "invariants"];

    private Dictionary<string, long> Counts(string database) =>
        Counted.ToDictionary(t => t, t => Tools.SqliteScalar(database, $"SELECT COUNT(*) FROM \"{t}\""));

    [ElfPythonFact]
    public void Every_record_of_a_memory_elfs_scripts_built_comes_across_and_a_second_run_adds_nothing()
    {
        BuildWithElfsScripts();
        var source = Counts(_elf.DatabasePath);
        Assert.Equal(new Dictionary<string, long>
        {
            ["learnings"] = 3, ["heuristics"] = 3, ["decisions"] = 1, ["spike_reports"] = 1, ["assumptions"] = 2, ["invariants"] = 1,
        }, source);

        var summary = MemoryImporter.Run(_elf.Paths, _target.Paths, ElfSettings.Default.Index, flushFilesToDisk: false, 500, TimeProvider.System);
        Assert.Equal(7, summary.Imported);
        Assert.Equal(source, Counts(_target.DatabasePath));
        Assert.Contains("spike_reports: 1 row", summary.Others);
        Assert.Contains("assumptions: 2 rows", summary.Others);
        Assert.Contains("invariants: 1 row", summary.Others);
        Assert.Contains("memory/golden-rules.md: 1 file", summary.Others);
        Assert.Contains("memory/spikes: 1 file", summary.Others);

        // The two same-title failures: two rows, two files, their own text each.
        var flaky = Tools.Sqlite(_target.DatabasePath, "SELECT filepath FROM learnings WHERE title = 'Flaky test' ORDER BY id").Select(r => r[0]).ToList();
        Assert.Equal(2, flaky.Distinct().Count());
        Assert.Contains("the first time, in January", File.ReadAllText(Path.Combine(_target.BasePath, flaky[0])));
        Assert.Equal(2, Tools.SqliteScalar(_target.DatabasePath, "SELECT COUNT(*) FROM heuristics WHERE rule = 'Retry flaky tests once'"));
        Assert.Equal(File.ReadAllText(Path.Combine(_elf.BasePath, "memory", "golden-rules.md")), File.ReadAllText(Path.Combine(_target.BasePath, "memory", "golden-rules.md")));
        var tracked = Tools.Git(_target.BasePath, "ls-files");
        Assert.Contains("memory/golden-rules.md", tracked);
        Assert.Contains("memory/spikes/", tracked);
        Assert.Empty(Tools.Git(_target.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());

        var again = MemoryImporter.Run(_elf.Paths, _target.Paths, ElfSettings.Default.Index, flushFilesToDisk: false, 500, TimeProvider.System);
        Assert.Equal(0, again.Imported);
        Assert.Empty(again.Others);
        Assert.Equal(source, Counts(_target.DatabasePath));
    }

    public void Dispose()
    {
        _elf.Dispose();
        _target.Dispose();
    }
}
