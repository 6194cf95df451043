namespace ElfActors.Core.Git;

/// <summary>
/// An integration in progress, noted in the git folder (<c>elf-sync-integration</c>: the old tip and the new) from just
/// before the branch moves until git's index and the working tree have followed and the arrived records have rows.
/// A host killed in between finds it at its next start and finishes that work before it commits anything
/// (docs/adr/0047). Without it the working tree keeps a heuristics domain file's old text under the new tip, and the
/// next commit of that file drops every entry that arrived with the integration.
/// </summary>
public sealed class IntegrationJournal(string path)
{
    public const string FileName = "elf-sync-integration";

    public string Path { get; } = path;

    /// <summary>The journal of the repository whose git folder is <paramref name="gitDirectory"/>.</summary>
    public static IntegrationJournal In(string gitDirectory) => new(System.IO.Path.Combine(gitDirectory, FileName));

    /// <summary>Notes, flushed to disk, that the branch is about to move from <paramref name="oldTip"/> (null: unborn) to <paramref name="newTip"/>.</summary>
    public void Begin(string? oldTip, string newTip)
    {
        Files.AtomicFile.Replace(Path, $"{oldTip ?? "-"} {newTip}\n", flushToDisk: true);
    }

    /// <summary>The integration noted and not done, or null.</summary>
    public (string? OldTip, string NewTip)? Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length != 2 || !IsObjectId(fields[1]) || (fields[0] != "-" && !IsObjectId(fields[0]))) return null; // torn or foreign: nothing to resume
        return (fields[0] == "-" ? null : fields[0], fields[1]);
    }

    /// <summary>The integration's work is all done: nothing to resume.</summary>
    public void Done() => Files.AtomicFile.TryDelete(Path);

    private static bool IsObjectId(string text) => text.Length == 40 && text.All(Uri.IsHexDigit);
}
