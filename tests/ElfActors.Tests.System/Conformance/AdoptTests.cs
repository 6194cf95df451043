using System.Security.Cryptography;
using ElfActors.Tests.EndToEnd;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Conformance;

/// <summary>
/// `elf adopt` and `elf adopt --undo` on a live ELF install that ELF's own install.sh laid out in a temporary HOME
/// (offline: --core-only), with a record ELF's own script made: the adopted memory verifies, the shims record through
/// elf (found next to them), ELF's hooks and query.py work on it, and undo restores every file of the install byte for
/// byte (sha256 of every file under HOME before and after, computed here).
/// </summary>
[Collection(PublishedElfCollection.Name)]
public sealed class AdoptTests(PublishedElf elf) : IDisposable
{
    private readonly ElfHome _home = new();

    // The host's runtime folder (its lock and socket, docs/security.md) is elf's state outside the install: not compared.
    private Dictionary<string, string> Hashes() =>
        Directory.EnumerateFiles(_home.Home, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(_home.Home, f).StartsWith(Path.Combine(".cache", "elf-run") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(_home.Home, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private Task<ProcessResult> Elf(params string[] arguments) =>
        elf.RunAsync([.. arguments, "--base", _home.BasePath], new Dictionary<string, string> { ["HOME"] = _home.Home }, null);

    private ProcessResult Shell(string script, params string[] arguments) =>
        // No elf on the PATH and no ELF_BIN: the shim finds the `elf` adopt put next to it.
        _home.Bash(Path.Combine(_home.BasePath, "scripts", script), _home.BasePath, new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, "", arguments);

    [ElfFact]
    public async Task Adopt_makes_an_install_an_elfactors_memory_that_elf_and_elf_itself_use_and_undo_restores_it_byte_for_byte()
    {
        Directory.Delete(_home.BasePath, recursive: true); // install.sh makes it
        var install = ElfSnapshot.Run("bash", ElfSnapshot.Path_, _home.Home, null, "", "install.sh", "--core-only");
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.False(Directory.Exists(Path.Combine(_home.BasePath, ".git"))); // install.sh makes no repository
        var before = Shell("record-failure.sh", "--title", "Recorded by ELF", "--domain", "git", "--summary", "before adopt");
        Assert.True(before.ExitCode == 0, before.ToString());
        var original = Hashes();

        // Adopt, then undo at once: the whole HOME as it was, not a file more or less.
        var adopted = await Elf("adopt");
        Assert.True(adopted.ExitCode == 0, adopted.ToString());
        Assert.Equal(2, (await Elf("adopt")).ExitCode); // already adopted
        Assert.True((await Elf("adopt", "--undo")).ExitCode == 0);
        Assert.Equal(original, Hashes());
        Assert.Equal(2, (await Elf("adopt", "--undo")).ExitCode); // not adopted

        // Adopt and use it.
        adopted = await Elf("adopt");
        Assert.True(adopted.ExitCode == 0, adopted.ToString());
        Assert.Single(Tools.Git(_home.BasePath, "log", "--format=%H").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(Tools.Git(_home.BasePath, "status", "--porcelain", "--untracked-files=all").Trim());
        Tools.Git(_home.BasePath, "fsck", "--strict");
        Assert.Contains("memory/failures/", Tools.Git(_home.BasePath, "ls-files", "memory/failures"));
        Assert.DoesNotContain("index.db", Tools.Git(_home.BasePath, "ls-files"));
        Assert.True(File.Exists(Path.Combine(_home.BasePath, "scripts", "record-failure.sh.elf-original")));

        var shim = Shell("record-failure.sh", "--title", "Recorded by the shim", "--domain", "git", "--severity", "9");
        Assert.True(shim.ExitCode == 0, shim.ToString());
        var heuristic = Shell("record-heuristic.sh", "--domain", "git", "--rule", "Adopted rule");
        Assert.True(heuristic.ExitCode == 0, heuristic.ToString());
        Assert.Equal(0, (await Elf("flush")).ExitCode);
        var verify = await Elf("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());

        // ELF's hooks (where install.sh put them) and query.py on the adopted memory.
        var hook = _home.Python(Path.Combine(_home.Home, ".claude", "hooks", "learning-loop", "post_tool_learning.py"),
            """{"tool_name":"Task","tool_input":{"description":"deploy","prompt":"p"},"tool_output":{"content":"Error: failed: permission denied"}}""");
        Assert.True(hook.ExitCode == 0, hook.ToString());
        Assert.Equal(1, Tools.SqliteScalar(_home.DatabasePath, "SELECT COUNT(*) FROM learnings WHERE filepath LIKE 'auto-failures/%'"));
        var query = _home.Python(Path.Combine(_home.BasePath, "query", "query.py"), null, "--domain", "git");
        Assert.True(query.ExitCode == 0, query.ToString());
        foreach (var title in new[] { "Recorded by ELF", "Recorded by the shim", "Adopted rule" }) Assert.Contains(title, query.Stdout);
        verify = await Elf("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());

        Assert.Equal(0, (await Elf("stop")).ExitCode);
        var undo = await Elf("adopt", "--undo");
        Assert.True(undo.ExitCode == 0, undo.ToString());
        var after = Hashes();
        foreach (var (file, hash) in original) Assert.True(after.TryGetValue(file, out var now) && now == hash, $"{file} was not restored");
        // What is left besides: the records made while adopted, the adopted index kept aside, ELF's hook state.
        var extra = after.Keys.Except(original.Keys).Order().ToList();
        Assert.All(extra, f => Assert.Matches(@"^\.claude/(emergent-learning/memory/(failures/\d{8}_recorded-by-the-shim\.md|heuristics/git\.md|index\.db-adopted-\d{14}(-wal|-shm)?)|hooks/learning-loop/session-state\.json)$", f));
        Assert.False(Directory.Exists(Path.Combine(_home.BasePath, ".git")));
    }

    public void Dispose() => _home.Dispose();
}
