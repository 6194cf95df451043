using ElfActors.Core.Git;

namespace ElfActors.Core.Import;

/// <summary>What <c>elf adopt</c> or <c>elf adopt --undo</c> did, one line per action.</summary>
public sealed record AdoptSummary(IReadOnlyList<string> Actions);

/// <summary>
/// <c>elf adopt</c>: turns a live ELF install (install.sh's layout: no git) into an ElfActors memory, and
/// <c>--undo</c> puts it back as it was. Everything adopt changes is recorded in <c>.elf-adopt/manifest</c> (git-excluded)
/// with a copy of each file it replaces, so undo restores the install byte for byte: ELF's record scripts (kept as
/// <c>*.elf-original</c> while adopted), <c>memory/index.db</c> (ELF's, as adopt found it; the adopted one is kept
/// aside when it changed), <c>.git/info/exclude</c>, and it removes what adopt added (the shims, the repository when
/// adopt made it, ElfActors' state folder). The caller holds the memory's host lock.
/// </summary>
public static class ElfAdopter
{
    public const string StateFolder = ".elf-adopt";
    public static readonly string[] ShimmedScripts = ["record-failure.sh", "record-heuristic.sh", "record-decision.sh"];
    public const string ShimLibrary = "_elf-shim-common.sh";
    public const string OriginalSuffix = ".elf-original";

    private static readonly string[] Ignored =
    [
        "# ElfActors (elf adopt): ELF's runtime files are not memory",
        "/logs/", "/alerts/", "/.elf-adopt/", "__pycache__/", "*.pyc", "/memory/index.db-*", "/memory/*.db-wal", "/memory/*.db-shm",
        "/ceo-inbox/.*", "/.coordination/", "/session-state.json",
    ];

    /// <param name="stateDirectoryExisted">whether memory/.elf existed before the caller took the host lock (which makes it)</param>
    public static AdoptSummary Adopt(MemoryPaths memory, string shimsFolder, string elfExecutable, bool stateDirectoryExisted)
    {
        var state = Path.Combine(memory.BasePath, StateFolder);
        if (!Directory.Exists(memory.MemoryDirectory))
            throw new ArgumentException($"{memory.BasePath} is not an ELF install: it has no memory/ folder");
        if (Directory.Exists(state))
            throw new ArgumentException($"{memory.BasePath} is already adopted ({StateFolder}/ exists); `elf adopt --undo` first to adopt it again");
        foreach (var shim in ShimmedScripts.Append(ShimLibrary))
            if (!File.Exists(Path.Combine(shimsFolder, shim))) throw new InvalidOperationException($"the shim {shim} is missing from {shimsFolder}");

        var actions = new List<string>();
        var manifest = new List<string>();
        Directory.CreateDirectory(Path.Combine(state, "originals"));
        void Record(string line) => manifest.Add(line);

        // The live database as ELF left it, before anything of ours opens it.
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            var database = memory.DatabasePath + suffix;
            if (!File.Exists(database)) continue;
            File.Copy(database, Path.Combine(state, "originals", "index.db" + suffix));
            Record("database " + suffix);
        }
        if (!stateDirectoryExisted) Record("created-dir " + Path.GetRelativePath(memory.BasePath, memory.StateDirectory));

        // git: a repository where there is none; ELF's runtime files excluded (.git/info/exclude: ELF's tree untouched).
        var hadGit = Directory.Exists(Path.Combine(memory.BasePath, ".git")) || File.Exists(Path.Combine(memory.BasePath, ".git"));
        var exclude = Path.Combine(memory.BasePath, ".git", "info", "exclude");
        if (hadGit && File.Exists(exclude))
        {
            File.Copy(exclude, Path.Combine(state, "originals", "exclude"));
            Record("exclude");
        }
        else if (hadGit) Record("exclude-absent");
        else Record("created-git");
        GitStore.EnsureRepository(memory);
        if (Directory.Exists(Path.Combine(memory.BasePath, ".git")))
        {
            var text = File.Exists(exclude) ? File.ReadAllText(exclude) : string.Empty;
            if (!text.Contains(Ignored[0], StringComparison.Ordinal))
                File.AppendAllText(exclude, (text.Length > 0 && !text.EndsWith('\n') ? "\n" : "") + string.Join('\n', Ignored) + "\n");
        }
        actions.Add(hadGit ? "kept the existing git repository; excluded ELF's runtime files" : "initialised a git repository; excluded the live index and ELF's runtime files");

        // The shims in place of ELF's record scripts, the originals kept beside them; elf beside the shims.
        var scripts = Path.Combine(memory.BasePath, "scripts");
        Directory.CreateDirectory(scripts);
        foreach (var script in ShimmedScripts)
        {
            var path = Path.Combine(scripts, script);
            if (File.Exists(path))
            {
                File.Move(path, path + OriginalSuffix);
                Record("moved scripts/" + script);
                actions.Add($"scripts/{script} → scripts/{script}{OriginalSuffix}, the shim in its place");
            }
            else actions.Add($"scripts/{script}: the shim (ELF had none)");
            CopyExecutable(Path.Combine(shimsFolder, script), path);
            Record("added scripts/" + script);
        }
        foreach (var (name, content) in new[]
                 {
                     (ShimLibrary, File.ReadAllText(Path.Combine(shimsFolder, ShimLibrary))),
                     ("elf", $"#!/bin/sh\n# elf adopt: the ElfActors client the shims beside this file use (ELF_BIN and the PATH come first).\nexec '{elfExecutable.Replace("'", "'\\''", StringComparison.Ordinal)}' \"$@\"\n"),
                 })
        {
            var path = Path.Combine(scripts, name);
            if (File.Exists(path)) throw new InvalidOperationException($"scripts/{name} exists already: not overwritten");
            File.WriteAllText(path, content);
            MakeExecutable(path);
            Record("added scripts/" + name);
        }

        File.WriteAllText(Path.Combine(state, "manifest"), string.Join('\n', manifest) + "\n");

        // The first commit: the memory as it is (when adopt made the repository; an existing one's history is the person's).
        if (!hadGit)
        {
            GitCli.Run(memory.BasePath, ["add", "-A"]);
            GitCli.Run(memory.BasePath, ["-c", "user.name=ElfActors", "-c", "user.email=elfactors@localhost", "commit", "-q", "--no-verify",
                "-m", "elf adopt: the ELF memory as it was\n\nELF's install, made an ElfActors memory: its files as they were, the shims in place of\nrecord-failure.sh, record-heuristic.sh and record-decision.sh (the originals kept as *.elf-original)."]);
            actions.Add("first commit: " + GitCli.Run(memory.BasePath, ["rev-parse", "--short", "HEAD"]).Trim());
        }
        else actions.Add("no commit made: the existing repository's history is left as it is; `elf verify` reports what is not in git");
        return new AdoptSummary(actions);
    }

    public static AdoptSummary Undo(MemoryPaths memory, TimeProvider clock)
    {
        var state = Path.Combine(memory.BasePath, StateFolder);
        var manifestPath = Path.Combine(state, "manifest");
        if (!File.Exists(manifestPath)) throw new ArgumentException($"{memory.BasePath} was not adopted ({StateFolder}/manifest is missing)");
        var manifest = File.ReadAllLines(manifestPath).Where(l => l.Length > 0).ToList();
        var actions = new List<string>();
        var scripts = Path.Combine(memory.BasePath, "scripts");

        foreach (var line in manifest.Where(l => l.StartsWith("added ", StringComparison.Ordinal)))
            File.Delete(Path.Combine(memory.BasePath, line["added ".Length..]));
        foreach (var line in manifest.Where(l => l.StartsWith("moved ", StringComparison.Ordinal)))
        {
            var path = Path.Combine(memory.BasePath, line["moved ".Length..]);
            File.Move(path + OriginalSuffix, path);
            actions.Add($"restored {line["moved ".Length..]}");
        }

        // The database: ELF's as adopt found it; the adopted one kept aside when it changed (records made meanwhile).
        var database = memory.DatabasePath;
        var original = Path.Combine(state, "originals", "index.db");
        var hadDatabase = manifest.Contains("database ");
        if (File.Exists(database) && (!hadDatabase || !SameBytes(database, original)))
        {
            var aside = database + "-adopted-" + clock.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            foreach (var suffix in new[] { "", "-wal", "-shm" })
                if (File.Exists(database + suffix)) File.Move(database + suffix, aside + suffix);
            actions.Add($"kept the adopted index as {Path.GetRelativePath(memory.BasePath, aside)}");
        }
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(database + suffix) && !manifest.Contains("database " + suffix)) File.Delete(database + suffix);
            if (manifest.Contains("database " + suffix) && !File.Exists(database + suffix))
                File.Copy(Path.Combine(state, "originals", "index.db" + suffix), database + suffix);
        }
        if (hadDatabase) actions.Add("restored memory/index.db as adopt found it");

        foreach (var line in manifest.Where(l => l.StartsWith("created-dir ", StringComparison.Ordinal)))
        {
            var directory = Path.Combine(memory.BasePath, line["created-dir ".Length..]);
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        if (manifest.Contains("created-git"))
        {
            DeleteTree(Path.Combine(memory.BasePath, ".git"));
            actions.Add("removed the git repository adopt made");
        }
        else if (manifest.Contains("exclude"))
            File.Copy(Path.Combine(state, "originals", "exclude"), Path.Combine(memory.BasePath, ".git", "info", "exclude"), overwrite: true);
        else if (manifest.Contains("exclude-absent"))
            File.Delete(Path.Combine(memory.BasePath, ".git", "info", "exclude"));
        DeleteTree(state);
        return new AdoptSummary(actions);
    }

    private static bool SameBytes(string a, string b) =>
        File.Exists(b) && new FileInfo(a).Length == new FileInfo(b).Length && File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));

    private static void CopyExecutable(string source, string target)
    {
        File.Copy(source, target);
        MakeExecutable(target);
    }

    private static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    private static void DeleteTree(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)) File.SetAttributes(file, FileAttributes.Normal);
        Directory.Delete(directory, recursive: true);
    }
}
