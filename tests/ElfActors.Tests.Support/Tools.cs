using System.Diagnostics;

namespace ElfActors.Tests.Support;

/// <summary>
/// Runs the machine's own git and sqlite3, so that tests check the memory without going through
/// ElfActors' code (nor its SQLite or git libraries).
/// </summary>
public static class Tools
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Removes a temp folder and everything in it, git's read-only objects too; what cannot be removed is left.</summary>
    public static void DeleteTree(string path)
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
                File.SetAttributes(file, FileAttributes.Normal); // git's objects are read-only
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Stops (SIGTERM: the host drains and exits) every elf-host serving a memory under <paramref name="root"/>, and
    /// waits for each to exit: hosts a test's `elf` calls auto-started must not outlive its deleted temp folder. Linux.
    /// </summary>
    public static void StopHostsUnder(string root)
    {
        if (!Directory.Exists("/proc")) return;
        var hosts = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            string[] argv;
            try { argv = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (argv.Length < 4 || !argv[0].EndsWith("elf-host", StringComparison.Ordinal) || argv[1] != "serve") continue;
            var at = Array.IndexOf(argv, "--base");
            if (at >= 0 && at + 1 < argv.Length && argv[at + 1].StartsWith(root, StringComparison.Ordinal)) hosts.Add(pid);
        }
        foreach (var pid in hosts) Run("kill", "/", "-TERM", pid.ToString());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var pid in hosts)
        {
            while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) Thread.Sleep(50); // polling the process's exit
            if (Directory.Exists($"/proc/{pid}")) Run("kill", "/", "-KILL", pid.ToString());
        }
    }

    public static string Git(string repository, params string[] arguments)
    {
        var (code, stdout, stderr) = Run("git", repository, arguments);
        if (code != 0) throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({code}): {stderr}");
        return stdout;
    }

    /// <summary>A git command as a person (not ElfActors) runs it: their name and email on anything it commits.</summary>
    public static string GitAsPerson(string repository, params string[] arguments) =>
        Git(repository, ["-c", "user.name=P", "-c", "user.email=p@x", .. arguments]);

    /// <summary>`git commit` of what is staged, as a person (not ElfActors) would make it.</summary>
    public static string GitCommitAsPerson(string repository, string message) => GitAsPerson(repository, "commit", "-qm", message);

    /// <summary>
    /// A bare repository at <paramref name="remote"/> (branch main, every move of its refs logged) whose first commit,
    /// a person's made in a seed clone beside it, holds these files: the remote of a sync test.
    /// </summary>
    public static void GitBareRemote(string remote, IReadOnlyDictionary<string, string> files)
    {
        var folder = Path.GetDirectoryName(remote)!;
        Directory.CreateDirectory(folder);
        Git(folder, "init", "-q", "--bare", "-b", "main", remote);
        Git(remote, "config", "core.logAllRefUpdates", "always");
        var seed = remote + ".seed";
        Git(folder, "clone", "-q", remote, seed);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(seed, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        Git(seed, "add", "-A");
        GitCommitAsPerson(seed, "seed");
        Git(seed, "push", "-q", "origin", "HEAD:main");
    }

    /// <summary>A clone of <paramref name="remote"/> at <paramref name="path"/> (its upstream set), committing as <paramref name="name"/>.</summary>
    public static string GitClone(string remote, string path, string name, string email)
    {
        Git(Path.GetDirectoryName(path)!, "clone", "-q", remote, path);
        Git(path, "config", "user.name", name);
        Git(path, "config", "user.email", email);
        return path;
    }

    /// <summary>Rows of a query through the sqlite3 shell, columns split on the unit separator.</summary>
    public static IReadOnlyList<string[]> Sqlite(string database, string sql)
    {
        var (code, stdout, stderr) = Run("sqlite3", Path.GetDirectoryName(database)!, "-readonly", "-batch", "-noheader",
            "-separator", "\u001f", "-newline", "\u001e", database, sql);
        if (code != 0) throw new InvalidOperationException($"sqlite3 failed ({code}): {stderr}");
        return stdout.Split('\u001e', StringSplitOptions.RemoveEmptyEntries)
            .Select(row => row.Split('\u001f')).ToList();
    }

    public static long SqliteScalar(string database, string sql) => long.Parse(Sqlite(database, sql).Single()[0]);
}
