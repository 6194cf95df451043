using System.Diagnostics;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.EndToEnd;

/// <summary>
/// `dotnet publish src/ElfActors.Cli -c Release -o DIR`, once per test run: the native `elf` and `elf-host`
/// exactly as a user gets them. End-to-end tests run those binaries as separate processes.
/// </summary>
public sealed class PublishedElf : IDisposable
{
    public PublishedElf()
    {
        Directory = Path.Combine(Path.GetTempPath(), "elf-published-" + Guid.NewGuid().ToString("N")[..8]);
        var repository = FindRepository();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "publish", "src/ElfActors.Cli", "-c", "Release", "-o", Directory, "--nologo", "-v", "q", "-nodeReuse:false" })
            start.ArgumentList.Add(argument);
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var publish = Process.Start(start)!;
        var stderr = publish.StandardError.ReadToEndAsync();
        var stdout = publish.StandardOutput.ReadToEnd();
        if (!publish.WaitForExit(TimeSpan.FromMinutes(10)) || publish.ExitCode != 0)
            throw new InvalidOperationException($"dotnet publish failed ({publish.ExitCode}):\n{stdout}\n{stderr.Result}");
        Elf = Path.Combine(Directory, "elf");
        if (!File.Exists(Elf) || !File.Exists(Path.Combine(Directory, "elf-host")))
            throw new InvalidOperationException($"dotnet publish did not produce elf and elf-host in {Directory}");
    }

    public string Directory { get; }
    public string Elf { get; }

    /// <summary>Runs `elf` with these arguments (and environment), waiting at most <paramref name="timeout"/>.</summary>
    public async Task<ProcessResult> RunAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Elf)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"elf {string.Join(' ', start.ArgumentList)} did not finish in time");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    public Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(arguments, null, null);

    /// <summary>Starts `elf serve --base …` in the foreground of a child process.</summary>
    public Process StartServe(string basePath, IDictionary<string, string>? environment = null)
    {
        // As `elf serve` in a terminal: Ctrl-C (SIGINT) and SIGQUIT at their default. A test run launched in the background
        // by a shell (`… &`) inherits them ignored, and .NET, as shells do for background jobs, leaves an ignored SIGINT
        // ignored: the SIGINT test then waited 2 minutes for a host that never saw the signal. `env` execs elf (same pid).
        var start = new ProcessStartInfo(ResetsInterruptSignals ? "env" : Elf)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (ResetsInterruptSignals) foreach (var argument in new[] { "--default-signal=INT,QUIT", Elf }) start.ArgumentList.Add(argument);
        foreach (var argument in new[] { "serve", "--base", basePath }) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Whether `env --default-signal` is there (GNU coreutils 8.31 and later).</summary>
    private static readonly bool ResetsInterruptSignals =
        OperatingSystem.IsLinux() && Tools.Run("env", "/", "--default-signal=INT,QUIT", "true").ExitCode == 0;

    /// <summary>elf-host processes serving this memory, read from /proc (not from ElfActors).</summary>
    public static int HostProcesses(string basePath) => HostPids(basePath).Count();

    /// <summary>
    /// The pids of the elf-host processes serving this memory, read from /proc (not from ElfActors). A child the host
    /// forks (git) shows the host's command line until its exec replaces it, so a process whose parent is itself one
    /// of these is that child, not a second host.
    /// </summary>
    public static IEnumerable<int> HostPids(string basePath)
    {
        var hosts = System.IO.Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Where(pid =>
            {
                string[] argv;
                try { argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0'); } catch (IOException) { return false; } catch (UnauthorizedAccessException) { return false; }
                return argv.Length > 3 && argv[0].EndsWith("elf-host", StringComparison.Ordinal) && argv[1] == "serve" && argv.Contains(basePath);
            })
            .ToList();
        return hosts.Where(pid => ParentOf(pid) is not { } parent || !hosts.Contains(parent)).ToList();
    }

    /// <summary>A process's parent pid (PPid in /proc/PID/status); null once it is gone.</summary>
    public static int? ParentOf(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            return line is null ? null : int.Parse(line["PPid:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The repository this test run was built from (the folder of ElfActors.sln).</summary>
    public static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "ElfActors.sln"))) return directory.FullName;
        throw new InvalidOperationException("cannot find ElfActors.sln above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

[CollectionDefinition(Name)]
public sealed class PublishedElfCollection : ICollectionFixture<PublishedElf>
{
    public const string Name = "published elf";
}

/// <summary>A temp memory whose host (if any) is stopped afterwards.</summary>
public sealed class ServedMemory(PublishedElf elf) : IAsyncDisposable
{
    public TempMemory Memory { get; } = new();
    public string Base => Memory.BasePath;
    /// <summary>A file beside the memory for a host's start trace (outside the repository), removed once the host has stopped.</summary>
    public string StartTrace => Base + ".trace";

    public async ValueTask DisposeAsync()
    {
        var stop = await elf.RunAsync("stop", "--base", Base);
        if (Environment.GetEnvironmentVariable("ELF_TEST_KEEP_LOGS") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            var log = Path.Combine(Base, "memory", ".elf", "host.log");
            var name = Path.GetFileName(Base);
            if (File.Exists(log)) File.Copy(log, Path.Combine(keep, name + ".host.log"), overwrite: true);
            File.WriteAllText(Path.Combine(keep, name + ".stop"), stop.ToString());
        }
        Memory.Dispose();
        File.Delete(StartTrace); // after the stop: a stopping host writes its trace again
    }
}
