using ElfActors.Contracts;

namespace ElfActors.Tests.Contracts;

/// <summary>
/// ProgramRunner closes this process's ends of a program's pipes once it returns, instead of leaving them to the finalizer
/// after the next collection (docs/adr/0079). The program names its own pipes (<c>readlink /proc/self/fd/N</c>); this
/// process's descriptors are then looked up for those exact pipes, so other tests' programs running at the same time do
/// not matter.
/// </summary>
public sealed class ProgramRunnerTests
{
    private const string NameOwnPipes = "for fd in 0 1 2; do readlink /proc/self/fd/$fd; done; echo on stderr >&2";

    /// <summary>The pipes (<c>pipe:[inode]</c>) among the lines a program printed.</summary>
    private static string[] Pipes(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.StartsWith("pipe:[", StringComparison.Ordinal)).ToArray();

    /// <summary>This process's open descriptors that are one of <paramref name="pipes"/>.</summary>
    private static string[] StillOpen(string[] pipes)
    {
        var open = new List<string>();
        foreach (var descriptor in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(descriptor).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while listed
            }
            if (target is not null && pipes.Contains(target)) open.Add($"{Path.GetFileName(descriptor)} -> {target}");
        }
        return open.ToArray();
    }

    [Fact]
    public void A_programs_output_pipes_are_closed_when_Run_returns()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc
        var result = ProgramRunner.Run("/bin/sh", ["-c", NameOwnPipes]);

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal("on stderr\n", result.Stderr);
        var pipes = Pipes(result.Stdout);
        Assert.Equal(2, pipes.Length); // stdout and stderr; stdin is not redirected
        Assert.Empty(StillOpen(pipes));
    }

    [Fact]
    public void Its_input_pipe_is_closed_too_even_when_the_program_exits_before_reading_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        // The program reads nothing: the 1 MiB written to it fills the pipe and fails on the broken pipe once it exits.
        var result = ProgramRunner.Run("/bin/sh", ["-c", NameOwnPipes], standardInput: input => input.Write(new string('x', 1 << 20)));

        Assert.True(result.Succeeded, result.Stderr);
        var pipes = Pipes(result.Stdout);
        Assert.Equal(3, pipes.Length);
        Assert.Empty(StillOpen(pipes));
    }

    [Fact]
    public void A_streamed_programs_pipes_are_closed_when_RunStreamed_returns()
    {
        if (!OperatingSystem.IsLinux()) return;
        var lines = new List<string>();
        var result = ProgramRunner.RunStreamed("/bin/sh", ["-c", NameOwnPipes], '\n', lines.Add);

        Assert.True(result.Succeeded, result.Stderr);
        var pipes = Pipes(string.Join('\n', lines));
        Assert.Equal(2, pipes.Length);
        Assert.Empty(StillOpen(pipes));
    }
}
