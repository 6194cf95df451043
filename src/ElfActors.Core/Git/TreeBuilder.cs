using System.Buffers;
using System.Text;

namespace ElfActors.Core.Git;

/// <summary>One entry of a git tree: its name (UTF-8, as stored), mode (e.g. 100644, 40000) and object id.</summary>
public readonly record struct TreeItem(byte[] Name, int Mode, byte[] Id)
{
    public const int FileMode = 0x81A4; // 100644
    public const int DirectoryMode = 0x4000; // 40000

    public bool IsDirectory => Mode == DirectoryMode;
}

/// <summary>
/// Builds the trees of a commit that adds files to its parent's tree, and remembers the trees it built, so the
/// next batch starts from them instead of reading them back. Only the folders on the new files' paths are
/// rewritten (the root, <c>memory/</c>, <c>memory/failures/</c>); a folder is merged with the new entries in one
/// pass, so the cost follows the size of those folders, never the size of the repository. LibGit2Sharp's
/// <c>TreeDefinition</c> did the same work through one managed object and one native call per entry of every
/// touched folder, per commit: half the committer's time at 20,000 records (docs/adr/0005).
/// </summary>
public sealed class TreeBuilder(Func<string, IReadOnlyList<TreeItem>> readTree)
{
    private readonly List<byte[]> _rented = [];
    // The trees built last, by id. Their entry arrays are pooled (a folder of 10,000 records is a 240 KB array per
    // commit, a large object) and go back to the pool once the next build has read them.
    private Dictionary<string, ArraySegment<TreeItem>> _known = new(StringComparer.Ordinal);

    /// <summary>Trees read from the repository because they were not the ones built last (tests watch this).</summary>
    public int TreesRead { get; private set; }

    /// <summary>
    /// The root tree of <paramref name="parentTree"/> (hex id, or null for an unborn branch) with
    /// <paramref name="files"/> (repository-relative path → blob id) added or replaced. New trees are appended to
    /// <paramref name="written"/> (their content is pooled: <see cref="ReleaseBuffers"/> once written); returns the new root's hex id.
    /// </summary>
    public string Build(string? parentTree, IReadOnlyList<(string Path, byte[] Blob)> files, List<GitObject> written)
    {
        var root = new Folder();
        foreach (var (path, blob) in files)
        {
            var parts = path.Split('/');
            var folder = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (!folder.Folders.TryGetValue(parts[i], out var child)) folder.Folders[parts[i]] = child = new Folder();
                folder = child;
            }
            folder.Files[parts[^1]] = blob;
        }
        var known = new Dictionary<string, ArraySegment<TreeItem>>(StringComparer.Ordinal);
        var rootId = Write(root, parentTree, written, known);
        foreach (var items in _known.Values) ArrayPool<TreeItem>.Shared.Return(items.Array!, clearArray: true);
        _known = known;
        return rootId;
    }

    private string Write(Folder changes, string? existingId, List<GitObject> written, Dictionary<string, ArraySegment<TreeItem>> known)
    {
        var existing = existingId is null ? ArraySegment<TreeItem>.Empty : Read(existingId);
        var changed = new List<TreeItem>(changes.Files.Count + changes.Folders.Count);
        foreach (var (name, blob) in changes.Files) changed.Add(new TreeItem(Encoding.UTF8.GetBytes(name), TreeItem.FileMode, blob));
        foreach (var (name, folder) in changes.Folders)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            string? subtree = null;
            foreach (var item in existing)
                if (item.IsDirectory && item.Name.AsSpan().SequenceEqual(nameBytes)) { subtree = Convert.ToHexStringLower(item.Id); break; }
            var id = Write(folder, subtree, written, known);
            changed.Add(new TreeItem(nameBytes, TreeItem.DirectoryMode, Convert.FromHexString(id)));
        }
        changed.Sort(Compare);

        var merged = Merge(existing, changed);
        var tree = new GitObject(GitObjectType.Tree, Serialize(merged));
        written.Add(tree);
        known[tree.Hex] = merged;
        return tree.Hex;
    }

    private ArraySegment<TreeItem> Read(string id)
    {
        if (_known.TryGetValue(id, out var items)) return items;
        TreesRead++;
        var read = readTree(id).ToArray();
        Array.Sort(read, Compare); // as stored; sorted again in case a foreign tool wrote them out of order
        return read;
    }

    /// <summary>The existing entries with the changed ones put in (a changed name replaces an entry of any mode).</summary>
    private static ArraySegment<TreeItem> Merge(ArraySegment<TreeItem> existing, List<TreeItem> changed)
    {
        var names = new HashSet<byte[]>(changed.Select(c => c.Name), NameComparer.Instance);
        var replaced = 0;
        foreach (var item in existing) if (names.Contains(item.Name)) replaced++;
        var count = existing.Count - replaced + changed.Count;
        var result = ArrayPool<TreeItem>.Shared.Rent(count);
        int next = 0, at = 0;
        foreach (var item in existing)
        {
            if (replaced > 0 && names.Contains(item.Name)) continue;
            while (next < changed.Count && Compare(changed[next], item) < 0) result[at++] = changed[next++];
            result[at++] = item;
        }
        while (next < changed.Count) result[at++] = changed[next++];
        return new ArraySegment<TreeItem>(result, 0, count);
    }

    /// <summary>git's order: by name bytes, a folder compared as if its name ended in '/'.</summary>
    internal static int Compare(TreeItem a, TreeItem b)
    {
        var common = Math.Min(a.Name.Length, b.Name.Length);
        var c = a.Name.AsSpan(0, common).SequenceCompareTo(b.Name.AsSpan(0, common));
        if (c != 0) return c;
        int Next(TreeItem t) => t.Name.Length > common ? t.Name[common] : t.IsDirectory ? '/' : 0;
        return Next(a) - Next(b);
    }

    /// <summary>
    /// The tree's bytes, in a pooled buffer: a large folder's tree is a megabyte or more per commit, which as a new
    /// array each time would be a large-object allocation per commit (and a full collection every few commits).
    /// The buffers go back to the pool in <see cref="ReleaseBuffers"/>, once the batch is packed.
    /// </summary>
    private ReadOnlyMemory<byte> Serialize(ArraySegment<TreeItem> items)
    {
        var size = 0;
        foreach (var item in items) size += ModeBytes(item.Mode).Length + 1 + item.Name.Length + 1 + item.Id.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        _rented.Add(buffer);
        var at = 0;
        foreach (var item in items)
        {
            var mode = ModeBytes(item.Mode);
            mode.CopyTo(buffer, at);
            at += mode.Length;
            buffer[at++] = (byte)' ';
            item.Name.CopyTo(buffer, at);
            at += item.Name.Length;
            buffer[at++] = 0;
            item.Id.CopyTo(buffer, at);
            at += item.Id.Length;
        }
        return buffer.AsMemory(0, size);
    }

    /// <summary>Gives back the buffers of the trees built so far: call once they are written.</summary>
    public void ReleaseBuffers()
    {
        foreach (var buffer in _rented) ArrayPool<byte>.Shared.Return(buffer);
        _rented.Clear();
    }

    private static readonly byte[] FileModeBytes = "100644"u8.ToArray(), DirectoryModeBytes = "40000"u8.ToArray();

    /// <summary>A mode as git writes it in a tree: octal, no leading zero.</summary>
    private static byte[] ModeBytes(int mode) => mode switch
    {
        TreeItem.FileMode => FileModeBytes,
        TreeItem.DirectoryMode => DirectoryModeBytes,
        _ => Encoding.ASCII.GetBytes(Convert.ToString(mode, 8)),
    };

    private sealed class NameComparer : IEqualityComparer<byte[]>
    {
        public static readonly NameComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] name)
        {
            var hash = new HashCode();
            hash.AddBytes(name);
            return hash.ToHashCode();
        }
    }

    private sealed class Folder
    {
        public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Folder> Folders { get; } = new(StringComparer.Ordinal);
    }
}
