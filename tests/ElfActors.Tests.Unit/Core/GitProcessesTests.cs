using System.Diagnostics;
using ElfActors.Core.Git;

namespace ElfActors.Tests.Core;

/// <summary>
/// The /proc scan for git processes in a repository (docs/adr/0075: libc calls, no allocation a process): which
/// processes it finds, told by their command name and working folder, with real processes started here.
/// </summary>
public sealed class GitProcessesTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "elf-gitprocs-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<Process> _started = [];

    public GitProcessesTests() => Directory.CreateDirectory(_scratch);

    /// <summary>`sleep` copied under <paramref name="command"/> (its comm) and started in <paramref name="folder"/>.</summary>
    private int Start(string command, string folder)
    {
        var program = Path.Combine(_scratch, "bin", command);
        if (!File.Exists(program))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(program)!);
            File.Copy("/bin/sleep", program);
        }
        Directory.CreateDirectory(folder);
        // Process.Start returns once the program is exec'd: its comm is the copy's name by then.
        var process = Process.Start(new ProcessStartInfo(program, "120") { WorkingDirectory = folder })!;
        _started.Add(process);
        return process.Id;
    }

    [Fact]
    public void Git_and_its_helpers_working_in_the_repository_are_found_and_nothing_else()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc
        var repository = Path.Combine(_scratch, "repo");
        var inSubfolder = Start("git", Path.Combine(repository, "sub", "folder"));
        var helper = Start("git-elf-probe", repository);
        Start("gitish", repository); // not git: its name only starts with it
        Start("elf-git", repository);
        Start("git", Path.Combine(_scratch, "repo-beside")); // a folder whose name starts with the repository's
        Start("git", _scratch); // above the repository

        var found = GitProcesses.AllRunningIn([repository]).Select(p => p.Pid).Order().ToArray();

        Assert.Equal(new[] { inSubfolder, helper }.Order().ToArray(), found);
        Assert.Contains(GitProcesses.FirstRunningIn([repository]), found.Cast<int?>());
        Assert.Null(GitProcesses.FirstRunningIn([repository], skip: pid => found.Contains(pid)));
    }

    [Fact]
    public void A_scan_allocates_no_more_with_more_processes_on_the_machine()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc
        var empty = Path.Combine(_scratch, "empty");
        Directory.CreateDirectory(empty);
        // Forty more processes than the machine has anyway (a CI container may have only a few): through .NET's
        // enumeration and File.OpenHandle the scan made a few hundred bytes of strings and handles per process.
        for (var i = 0; i < 40; i++) Start("sleeper", _scratch);
        Assert.Null(GitProcesses.FirstRunningIn([empty]));

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Null(GitProcesses.FirstRunningIn([empty]));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // What is left is per scan: the folders' paths resolved, the iterator, the list of git processes found.
        Assert.InRange(allocated, 0, 4 * 1024);
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            try { process.Kill(); process.WaitForExit(); } catch (InvalidOperationException) { }
            process.Dispose();
        }
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }
}
