using System.Diagnostics;
using System.Text;

namespace ElfActors.Benchmarks.Compare;

/// <summary>
/// Fresh memories for each run: an empty git repository, or one that already tracks N files (made once with
/// `git fast-import`, then copied per run), so that each system starts from the same state.
/// </summary>
internal sealed class Repositories(string work)
{
    private readonly Dictionary<int, string> _templates = [];

    /// <summary>The folder every repository, host and writer of the benchmark lives in (see <see cref="MachineLoad"/>).</summary>
    public string Work => work;

    public string Fresh(int trackedFiles, string name)
    {
        var target = Path.Combine(work, name);
        if (trackedFiles == 0)
        {
            Directory.CreateDirectory(target);
            Git.Run(target, "init", "-q", "-b", "main", ".");
        }
        else
        {
            if (!_templates.TryGetValue(trackedFiles, out var template)) _templates[trackedFiles] = template = Create(trackedFiles);
            Shell.Run("cp", "-a", template, target);
            // The copy has new inodes and times: refresh the index once so no system pays git's re-hash of N files.
            Git.Run(target, "update-index", "-q", "--refresh");
        }
        Git.Run(target, "config", "user.name", "bench");
        Git.Run(target, "config", "user.email", "bench@localhost");
        // Every run starts from a packed repository: loose objects or several packs would tax whichever system came first.
        var objects = Git.Run(target, "count-objects", "-v").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(": ")).ToDictionary(f => f[0], f => f[1]);
        if (objects["count"] != "0" || int.Parse(objects["packs"], System.Globalization.CultureInfo.InvariantCulture) > 1) Git.Run(target, "gc", "-q");
        return target;
    }

    /// <summary>Adds a pre-commit hook that sleeps: a slow git commit, as a large repository or a hook would make it.</summary>
    public static void SlowCommits(string repository, int delayMs)
    {
        var hook = Path.Combine(repository, ".git", "hooks", "pre-commit");
        Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
        File.WriteAllText(hook, $"#!/bin/sh\nsleep {delayMs / 1000.0:0.###}\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, (UnixFileMode)0b111_101_101);
    }

    private string Create(int files)
    {
        var template = Path.Combine(work, $"template-{files}");
        Directory.CreateDirectory(template);
        Git.Run(template, "init", "-q", "-b", "main", ".");
        Console.Error.WriteLine($"Creating a repository that tracks {files:N0} files…");
        // 1,000 files a folder: archived records from earlier years, outside memory/failures/.
        var start = new ProcessStartInfo("git", ["fast-import", "--quiet"])
        {
            WorkingDirectory = template, RedirectStandardInput = true, UseShellExecute = false,
        };
        using (var import = Process.Start(start)!)
        {
            var input = import.StandardInput.BaseStream;
            void Write(string text) => input.Write(Encoding.UTF8.GetBytes(text));
            for (var i = 0; i < files; i++)
            {
                var data = $"# Archived failure {i}\n\n**Domain**: archive\n\nAn older record, kept in the repository.\n";
                Write($"blob\nmark :{i + 1}\ndata {Encoding.UTF8.GetByteCount(data)}\n{data}\n");
            }
            const string message = "Archived records";
            Write($"commit refs/heads/main\ncommitter bench <bench@localhost> 1700000000 +0000\ndata {message.Length}\n{message}\n");
            for (var i = 0; i < files; i++) Write($"M 100644 :{i + 1} archive/{i / 1000:D3}/{i:D6}.md\n");
            Write("\n");
            input.Close();
            import.WaitForExit();
            if (import.ExitCode != 0) throw new InvalidOperationException("git fast-import failed");
        }
        Git.Run(template, "checkout", "-q", "-f", "main");
        Git.Run(template, "gc", "-q");
        return template;
    }
}

/// <summary>ELF's own code, from the read-only snapshot beside the repository (../shared/elf).</summary>
internal static class ElfSnapshot
{
    private static string Folder
    {
        get
        {
            var folder = Path.Combine(Path.GetDirectoryName(Measure.FindRepository())!, "shared", "elf");
            return Directory.Exists(folder) ? folder : throw new InvalidOperationException($"ELF's snapshot is not at {folder}: \"before\" runs ELF's own record-failure.sh from it.");
        }
    }

    /// <summary>record-failure.sh as it was before ELF stopped committing (b6c3d06's parent).</summary>
    public static string RecordFailureScript => Path.Combine(Folder, "history", "pre-b6c3d06", "scripts", "record-failure.sh");

    /// <summary>The schema install.sh creates memory/index.db from.</summary>
    public static string InitDbSql => Path.Combine(Folder, "templates", "init_db.sql");
}

/// <summary>Runs a program to completion and returns its stdout; throws on a non-zero exit.</summary>
internal static class Shell
{
    public static string Run(string file, params string[] arguments) => RunIn(null, file, arguments);

    public static string RunIn(string? directory, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = directory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }
}

internal static class Git
{
    public static string Run(string repository, params string[] arguments) => Shell.RunIn(repository, "git", arguments);
}
