using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>The one git runner: the environment git sees, and its verdicts read by exit code.</summary>
public sealed class GitCliTests : IDisposable
{
    private readonly TempMemory _memory = new();

    [Fact]
    public void Git_runs_in_the_C_locale_whatever_the_callers_locale()
    {
        Tools.Git(_memory.BasePath, "init", "-q");
        // A shell alias prints the environment git hands its children: what git itself ran with.
        var environment = GitCli.Run(_memory.BasePath, ["-c", "alias.showenv=!env", "showenv"]).Split('\n');

        Assert.Contains("LC_ALL=C", environment);
        Assert.Contains("GIT_TERMINAL_PROMPT=0", environment);
        Assert.DoesNotContain(environment, line => line.StartsWith("LANGUAGE=", StringComparison.Ordinal) && line.Length > "LANGUAGE=".Length);
    }

    [Fact]
    public void TryRun_returns_gits_exit_code_instead_of_throwing()
    {
        Tools.Git(_memory.BasePath, "init", "-q");

        var missing = GitCli.TryRun(_memory.BasePath, ["rev-parse", "--verify", "--quiet", "refs/heads/none"]);
        var present = GitCli.TryRun(_memory.BasePath, ["rev-parse", "--git-dir"]);

        Assert.Equal(1, missing.ExitCode);
        Assert.True(present.Succeeded);
        Assert.Equal(".git", present.Stdout.Trim());
    }

    [Fact]
    public void A_held_index_lock_is_recognised_as_a_lock_not_a_failure()
    {
        Tools.Git(_memory.BasePath, "init", "-q");
        File.WriteAllText(Path.Combine(_memory.BasePath, "a.txt"), "a");
        var lockPath = Path.Combine(_memory.BasePath, ".git", "index.lock");
        File.WriteAllText(lockPath, string.Empty);

        var held = Assert.Throws<GitLockHeldException>(() => GitCli.Run(_memory.BasePath, ["update-index", "--add", "a.txt"]));

        Assert.Equal(Path.GetFullPath(lockPath), Path.GetFullPath(held.LockPath!));
    }

    [Fact]
    public void RunStreamed_hands_over_the_same_records_as_one_whole_run_and_throws_on_gits_failure()
    {
        Tools.Git(_memory.BasePath, "init", "-q");
        // More than the reader's 16 KiB buffer, names of many lengths: records cross the buffer's boundaries.
        var names = Enumerable.Range(0, 700).Select(i => $"f{i}-{new string('x', i % 97)}.txt").ToList();
        foreach (var name in names) File.WriteAllText(Path.Combine(_memory.BasePath, name), name);
        Tools.Git(_memory.BasePath, "add", ".");
        Tools.Git(_memory.BasePath, "commit", "-qm", "many");

        var whole = Tools.Git(_memory.BasePath, "ls-files", "-z").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var streamed = new List<string>();
        GitCli.RunStreamed(_memory.BasePath, ["ls-files", "-z"], '\0', streamed.Add);
        var lines = new List<string>();
        GitCli.RunStreamed(_memory.BasePath, ["ls-files"], '\n', lines.Add);

        Assert.True(whole.Sum(n => n.Length + 1) > 16 * 1024);
        Assert.Equal(names.Order(StringComparer.Ordinal), whole);
        Assert.Equal(whole, streamed);
        Assert.Equal(whole, lines);
        Assert.Throws<GitStoreException>(() => GitCli.RunStreamed(_memory.BasePath, ["log", "refs/heads/none"], '\n', _ => { }));
    }

    public void Dispose() => _memory.Dispose();
}
