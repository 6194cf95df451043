using System.Diagnostics;

namespace ElfActors.Tests.Support;

/// <summary>
/// A person's `git commit -a` of their own file (notes.txt, committed once, then edited) that sits in its editor
/// until <see cref="Release"/>: all that time git holds <c>.git/index.lock</c> with no descriptor open on it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PersonsGitCommit : IDisposable
{
    public const string Message = "person: from the editor";
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "elf-editor-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Process _git;
    private readonly Task<string> _errors;

    public PersonsGitCommit(string repository) : this(repository, null)
    {
    }

    /// <summary>With <paramref name="edit"/>: notes.txt is tracked already; it is edited to this text, then committed.</summary>
    public PersonsGitCommit(string repository, string? edit)
    {
        var notes = Path.Combine(repository, "notes.txt");
        if (edit is null)
        {
            File.WriteAllText(notes, "v1\n");
            Tools.Git(repository, "add", "notes.txt");
            Tools.GitCommitAsPerson(repository, "person: notes");
        }
        File.WriteAllText(notes, edit ?? "v2\n");

        Directory.CreateDirectory(_scratch);
        var editor = Path.Combine(_scratch, "editor.sh");
        // The editor says it has opened (git holds index.lock from before it starts until after it ends), then waits.
        File.WriteAllText(editor, $"#!/bin/sh\n: > '{OpenedFile}'\nwhile [ ! -e '{ReleaseFile}' ]; do sleep 0.1; done\necho '{Message}' > \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo("git", ["-c", "user.name=P", "-c", "user.email=p@x", "commit", "-a"])
        {
            WorkingDirectory = repository, UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true,
        };
        start.Environment["GIT_EDITOR"] = editor;
        _git = Process.Start(start)!;
        _errors = _git.StandardError.ReadToEndAsync();
        IndexLock = Path.Combine(repository, ".git", "index.lock");
    }

    public int Pid => _git.Id;
    public string IndexLock { get; }
    public bool HasExited => _git.HasExited;
    private string ReleaseFile => Path.Combine(_scratch, "release");
    private string OpenedFile => Path.Combine(_scratch, "opened");

    /// <summary>Whether git has started the editor: from then until <see cref="Release"/>, git holds <see cref="IndexLock"/>.</summary>
    public bool EditorOpen => File.Exists(OpenedFile);

    /// <summary>Closes the editor; returns git's exit code and its stderr.</summary>
    public async Task<(int ExitCode, string Errors)> Release()
    {
        await File.WriteAllTextAsync(ReleaseFile, "");
        await _git.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (_git.ExitCode, await _errors);
    }

    public void Dispose()
    {
        if (!_git.HasExited) _git.Kill(entireProcessTree: true);
        _git.Dispose();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }
}
