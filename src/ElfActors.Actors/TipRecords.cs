using ElfActors.Core.Git;
using ElfActors.Core.Text;

namespace ElfActors.Actors;

/// <summary>
/// Whether a branch tip holds records, for one check of the committer: a record with a file of its own by that file's
/// presence (a different blob is a person's edit, committed by them: verify reports it), an appended entry by its text in
/// the shared file. Records are asked about in the order of their paths' UTF-8 bytes, and the tip's files under
/// <c>memory/</c> are walked once in the same order beside them (a merge): neither side is held, whatever the memory's size
/// (docs/adr/0052). Each shared file's blob is read once.
/// </summary>
internal sealed class TipRecords : IDisposable
{
    private const string Folder = "memory";
    private const string Prefix = Folder + "/";

    private readonly IGitStore _git;
    private readonly string? _tip;
    private readonly IEnumerator<(string Path, string Blob)>? _files;
    private readonly Dictionary<string, string?> _texts = new(StringComparer.Ordinal);
    private bool _more;
    private string? _asked;

    public TipRecords(IGitStore git, string? tip)
    {
        _git = git;
        _tip = tip;
        _files = tip is null ? null : git.FilesInPathOrder(tip, Folder).GetEnumerator();
        _more = _files?.MoveNext() == true;
    }

    /// <summary>
    /// The blob the tip holds at the path, or null. Paths under <c>memory/</c> must be asked in ascending UTF-8 order
    /// (the same path again is fine); one elsewhere is looked up on its own.
    /// </summary>
    public string? BlobOf(string relativePath)
    {
        if (_tip is null) return null;
        if (!relativePath.StartsWith(Prefix, StringComparison.Ordinal))
            return _git.BlobsAt(_tip, [relativePath]).GetValueOrDefault(relativePath);
        if (_asked is not null && Utf8Order.Instance.Compare(relativePath, _asked) < 0)
            throw new InvalidOperationException($"records must be asked about in path order: {relativePath} after {_asked}");
        _asked = relativePath;
        while (_more && Utf8Order.Instance.Compare(_files!.Current.Path, relativePath) < 0) _more = _files.MoveNext();
        return _more && _files!.Current.Path == relativePath ? _files.Current.Blob : null;
    }

    /// <summary>Whether the shared file's blob holds the entry's text.</summary>
    public bool BlobHolds(string blob, string content)
    {
        if (!_texts.TryGetValue(blob, out var text)) _texts[blob] = text = _git.ReadBlobText(blob);
        return text?.Contains(content, StringComparison.Ordinal) == true;
    }

    public void Dispose() => _files?.Dispose();
}
