using ElfActors.Core.Git;

namespace ElfActors.Actors;

/// <summary>
/// Whether a branch tip holds records, for one check of the committer: a record with a file of its own by that file's
/// presence (a different blob is a person's edit, committed by them: verify reports it), an appended entry by its text in
/// the shared file. Each folder's tree and each shared file's blob is read once.
/// </summary>
internal sealed class TipRecords
{
    private readonly IGitStore _git;
    private readonly IReadOnlyDictionary<string, string> _blobs;
    private readonly Dictionary<string, string?> _texts = new(StringComparer.Ordinal);

    public TipRecords(IGitStore git, string? tip, IEnumerable<string> relativePaths)
    {
        _git = git;
        _blobs = tip is null ? new Dictionary<string, string>() : git.BlobsAt(tip, relativePaths.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Whether the tip's tree has a file at the path.</summary>
    public bool HasFile(string relativePath) => _blobs.ContainsKey(relativePath);

    public bool Holds(string relativePath, bool sharesFile, string content)
    {
        if (!_blobs.TryGetValue(relativePath, out var blob)) return false;
        if (!sharesFile) return true;
        if (!_texts.TryGetValue(blob, out var text)) _texts[blob] = text = _git.ReadBlobText(blob);
        return text?.Contains(content, StringComparison.Ordinal) == true;
    }
}
