using ElfActors.Tests.Support;
using Xunit.Abstractions;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

/// <summary>
/// The threads of the committer, the index writer and the recorders are named for what runs on them, as the system shows
/// them (/proc/PID/task/TID/comm): a per-thread CPU sample of a busy host says who is busy (docs/adr/0077). Akka names a
/// dedicated dispatcher's threads after the dispatcher, which Linux cut to "elf.dispatchers" for every one of them.
/// </summary>
public sealed class ThreadNameTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_committer_the_index_writer_and_the_recorders_run_on_threads_named_for_them()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc, and the names, are Linux's
        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        _ = host.Kit(output);
        Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(0)));
        await host.FlushAsync(TimeSpan.FromSeconds(30));

        var names = Directory.GetDirectories("/proc/self/task")
            .Select(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'))
            .ToList();
        output.WriteLine(string.Join(", ", names.Order()));
        Assert.Contains("elf-committer", names);
        Assert.Contains("elf-indexwriter", names);
        Assert.Contains("elf-recorder", names);
    }
}
