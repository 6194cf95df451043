using System.ComponentModel;
using System.Diagnostics;
using ElfActors.Tests.EndToEnd;

namespace ElfActors.Tests.Support;

/// <summary>
/// ELF's own code, from the read-only snapshot beside the repository (<c>../shared/elf</c>, or <c>$ELF_SNAPSHOT</c>).
/// Conformance tests run it; in a clone without it they are skipped, saying why (<see cref="ElfFactAttribute"/>).
/// </summary>
public static class ElfSnapshot
{
    private static readonly Lazy<string?> Root = new(() =>
    {
        if (Environment.GetEnvironmentVariable("ELF_SNAPSHOT") is { Length: > 0 } configured) return Directory.Exists(configured) ? configured : null;
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (!System.IO.File.Exists(Path.Combine(directory.FullName, "ElfActors.sln"))) continue;
            var snapshot = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "elf"));
            return System.IO.File.Exists(Path.Combine(snapshot, "templates", "init_db.sql")) ? snapshot : null;
        }
        return null;
    });

    /// <summary>The snapshot's folder; only call from a test that <see cref="ElfFactAttribute"/> let run.</summary>
    public static string Path_ => Root.Value ?? throw new InvalidOperationException(MissingReason);

    public static string File(params string[] parts) => Path.Combine([Path_, .. parts]);

    public static bool Present => Root.Value is not null;

    public const string MissingReason = "ELF's snapshot (../shared/elf beside the repository, or $ELF_SNAPSHOT) is absent: conformance tests against ELF's own code skipped";

    /// <summary>Debian's python3 (where apt installs fastapi and friends), else the one on the PATH.</summary>
    public static string Python => System.IO.File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private static readonly Dictionary<string, bool> Modules = [];

    /// <summary>Whether <see cref="Python"/> can import these modules (asked once per set).</summary>
    public static bool HasPythonModules(string modules)
    {
        lock (Modules)
        {
            if (Modules.TryGetValue(modules, out var known)) return known;
            try
            {
                var (code, _, _) = Tools.Run(Python, Path.GetTempPath(), "-c", "import " + modules);
                return Modules[modules] = code == 0;
            }
            catch (Win32Exception)
            {
                return Modules[modules] = false;
            }
        }
    }

    /// <summary>Runs a program with this HOME (ELF's components find the memory under it) and environment.</summary>
    public static ProcessResult Run(string file, string workingDirectory, string? home, IDictionary<string, string>? environment, string? stdin, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (home is not null) start.Environment["HOME"] = home;
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        // ELF's bug: scripts/lib/logging.sh makes its correlation id with printf "%04x" of the epoch's last four digits,
        // which fails ("0008: invalid octal number", exit 1 under set -e) for about 1,000 s in every 10,000. A set id
        // skips that line; nothing compared here reads it.
        start.Environment["LOG_CORRELATION_ID"] = "elfactors-test";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in 120 s");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A fact that needs ELF's snapshot: skipped, with the reason, where it is absent.</summary>
public sealed class ElfFactAttribute : FactAttribute
{
    public ElfFactAttribute()
    {
        if (!ElfSnapshot.Present) Skip = ElfSnapshot.MissingReason;
    }
}

/// <summary>A fact that needs ELF's snapshot and Python modules (Debian packages that .ci/run installs).</summary>
public sealed class ElfPythonFactAttribute : FactAttribute
{
    public ElfPythonFactAttribute(string modules = "sqlite3")
    {
        if (!ElfSnapshot.Present) Skip = ElfSnapshot.MissingReason;
        else if (!ElfSnapshot.HasPythonModules(modules))
            Skip = $"{ElfSnapshot.Python} cannot import {modules} (.ci/run installs them from Debian packages): skipped";
    }
}

/// <summary>A theory that needs ELF's snapshot and Python modules: skipped, with the reason, where they are absent.</summary>
public sealed class ElfPythonTheoryAttribute : TheoryAttribute
{
    public ElfPythonTheoryAttribute(string modules = "sqlite3")
    {
        if (!ElfSnapshot.Present) Skip = ElfSnapshot.MissingReason;
        else if (!ElfSnapshot.HasPythonModules(modules))
            Skip = $"{ElfSnapshot.Python} cannot import {modules} (.ci/run installs them from Debian packages): skipped";
    }
}
