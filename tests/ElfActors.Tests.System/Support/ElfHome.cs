using ElfActors.Contracts;
using ElfActors.Tests.EndToEnd;

namespace ElfActors.Tests.Support;

/// <summary>
/// A temporary HOME whose memory is at <c>HOME/.claude/emergent-learning</c>, where ELF's Python components look
/// (Path.home()), with ELF's conductor beside it as install.sh puts it (post_tool_learning.py imports it from there).
/// </summary>
public sealed class ElfHome : IDisposable
{
    public ElfHome()
    {
        Root = Path.Combine(Path.GetTempPath(), "elf-home-" + Guid.NewGuid().ToString("N")[..12]);
        Home = Path.Combine(Root, "home");
        BasePath = Path.Combine(Home, ".claude", "emergent-learning");
        Directory.CreateDirectory(BasePath);
        Paths = new MemoryPaths(BasePath);
    }

    public string Root { get; }
    public string Home { get; }
    public string BasePath { get; }
    public MemoryPaths Paths { get; }
    public string DatabasePath => Paths.DatabasePath;

    /// <summary>Copies a folder of ELF's snapshot into the base, as install.sh does (conductor/, query/, scripts/ …).</summary>
    public void Install(string snapshotFolder, string? into = null)
    {
        var source = ElfSnapshot.File(snapshotFolder);
        var target = Path.Combine(BasePath, into ?? snapshotFolder);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    /// <summary>Runs one of ELF's Python files (from the snapshot) with this HOME, JSON on stdin.</summary>
    public ProcessResult Python(string script, string? stdin = null, params string[] arguments) =>
        ElfSnapshot.Run(ElfSnapshot.Python, Root, Home, null, stdin, [script, .. arguments]);

    /// <summary>Runs a shell script with this HOME.</summary>
    public ProcessResult Bash(string script, string workingDirectory, IDictionary<string, string>? environment = null, string? stdin = null, params string[] arguments) =>
        ElfSnapshot.Run("bash", workingDirectory, Home, environment, stdin, [script, .. arguments]);

    /// <summary>ELF's post-tool hook after a Task, with this output.</summary>
    public ProcessResult PostTask(string description, string output) =>
        Python(ElfSnapshot.File("hooks", "learning-loop", "post_tool_learning.py"),
            System.Text.Json.JsonSerializer.Serialize(new
            {
                tool_name = "Task",
                tool_input = new { description, prompt = "do it", subagent_type = "general" },
                tool_output = new { content = output },
            }));

    /// <summary>ELF's pre-tool hook before a Task.</summary>
    public ProcessResult PreTask(string description, string prompt) =>
        Python(ElfSnapshot.File("hooks", "learning-loop", "pre_tool_learning.py"),
            System.Text.Json.JsonSerializer.Serialize(new { tool_name = "Task", tool_input = new { description, prompt } }));

    public void Dispose()
    {
        Tools.StopHostsUnder(Root);
        Tools.DeleteTree(Root);
    }
}
