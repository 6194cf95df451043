using System.Diagnostics;
using ElfActors.Tests.Support;
using Xunit.Abstractions;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// A person's `git commit` waiting in its editor, beside the published host: the host never removes the person's
/// index.lock, `elf status` says whose it is, and both the person's commit and the records land.
/// </summary>
[Collection(PublishedElfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PersonsGitLockEndToEndTests(PublishedElf elf, ITestOutputHelper output)
{
    [Fact]
    public async Task Status_names_the_pid_of_a_persons_git_commit_waiting_in_its_editor_and_both_commits_land()
    {
        await using var runtime = new PrivateRuntime(elf);
        Assert.Equal(0, (await runtime.RecordAsync("Before the person")).ExitCode);
        Assert.Equal(0, (await runtime.RunAsync("flush", "--base", runtime.Base)).ExitCode);
        using (var person = new PersonsGitCommit(runtime.Base))
        {
            await PollAsync(() => Task.FromResult(File.Exists(person.IndexLock)), TimeSpan.FromSeconds(10));
            var record = await runtime.RecordAsync("While the person edits");
            Assert.True(record.ExitCode == 0, record.ToString());

            var state = "";
            await PollAsync(async () =>
            {
                state = (await runtime.RunAsync("status", "--base", runtime.Base)).Stdout;
                return state.Contains($"waiting for a lock held by pid {person.Pid} ");
            }, TimeSpan.FromSeconds(30));
            output.WriteLine(state);
            Assert.True(File.Exists(person.IndexLock));

            var (exitCode, errors) = await person.Release();
            Assert.True(exitCode == 0, "the person's git commit failed: " + errors);
        }
        var flush = await runtime.RunAsync("flush", "--base", runtime.Base);
        Assert.True(flush.ExitCode == 0, flush.ToString());
        var log = Tools.Git(runtime.Base, "log", "--format=%s");
        Assert.Contains(PersonsGitCommit.Message, log);
        Assert.Equal(2, Tools.Git(runtime.Base, "ls-tree", "-r", "--name-only", "HEAD", "memory/failures/").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("v2\n", Tools.Git(runtime.Base, "show", "HEAD:notes.txt"));
    }

    private static async Task PollAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"condition not met within {timeout}");
            await Task.Delay(100);
        }
    }
}
