using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ElfActors.Core.Git;

/// <summary>One entry of an index file: where its bytes are, and where its name is (0 long for a split index's replaced entries).</summary>
internal readonly record struct IndexEntry(int Offset, int Length, int NameOffset, int NameLength)
{
    public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> data) => data.Slice(NameOffset, NameLength);
    public uint MtimeSeconds(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt32BigEndian(data[(Offset + 8)..]);
    public uint MtimeNanoseconds(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt32BigEndian(data[(Offset + 12)..]);
    public ReadOnlySpan<byte> BlobId(ReadOnlySpan<byte> data) => data.Slice(Offset + 40, 20);
    public int Stage(ReadOnlySpan<byte> data) => (BinaryPrimitives.ReadUInt16BigEndian(data[(Offset + 60)..]) >> 12) & 3;
}

/// <summary>An extension of an index file, by its signature, with where its body is.</summary>
internal readonly record struct IndexExtension(string Signature, int Offset, int Length);

/// <summary>
/// git's index file format (Documentation/gitformat-index.txt), versions 2 and 3, as far as
/// <see cref="IndexAppender"/> needs it: the entries' positions and names, and the extensions it can carry over.
/// </summary>
internal sealed class IndexFile
{
    private static readonly HashSet<string> Dropped = ["EOIE", "IEOT"]; // offset tables: optional, and stale once entries move
    private static readonly HashSet<string> Kept = ["TREE", "REUC", "link"];

    private IndexFile(uint version, List<IndexEntry> entries, List<IndexExtension> extensions, string? sharedIndexId, int firstNamed)
    {
        Version = version;
        Entries = entries;
        Extensions = extensions;
        SharedIndexId = sharedIndexId;
        FirstNamed = firstNamed;
    }

    public uint Version { get; }
    public List<IndexEntry> Entries { get; }
    public List<IndexExtension> Extensions { get; }

    /// <summary>For a split index: the hash naming the shared index its entries are added to.</summary>
    public string? SharedIndexId { get; }

    /// <summary>Entries before this one are a split index's replaced entries, which carry no name.</summary>
    private int FirstNamed { get; }

    public int ReplacedCount => FirstNamed;

    private IndexExtension? Link => Extensions.Find(e => e.Signature == "link") is { Signature: not null } link ? link : null;

    /// <summary>
    /// For a split index: the shared index's positions that its replaced entries stand for, in order (the set bits
    /// of the link extension's replace bitmap), and how many shared entries it deletes (its delete bitmap's); null
    /// if the bitmaps cannot be read.
    /// </summary>
    public List<int>? ReplacedPositions(byte[] data, out int deletedCount)
    {
        deletedCount = 0;
        if (Link is not { } link) return null;
        var body = data.AsSpan(link.Offset, link.Length)[20..];
        if (body.Length == 0) return [];
        var deleted = Ewah.SetBits(body, out var used);
        if (deleted is null) return null;
        deletedCount = deleted.Count;
        var replaced = Ewah.SetBits(body[used..], out var usedToo);
        return replaced is not null && used + usedToo == body.Length ? replaced : null;
    }

    /// <summary>The file's structure, or null with the reason git must handle it.</summary>
    public static IndexFile? Parse(ReadOnlySpan<byte> data, out string? problem) => Parse(data, null, out problem);

    /// <summary>
    /// The file's structure, its entries in <paramref name="reusedEntries"/> (cleared first) where given: a caller that
    /// parses an index per commit keeps one list, instead of a new array of every entry (16 bytes each: a large object
    /// from about 5,300 entries) per commit for the GC to collect (docs/adr/0076). The list is the result's until the next parse.
    /// </summary>
    public static IndexFile? Parse(ReadOnlySpan<byte> data, List<IndexEntry>? reusedEntries, out string? problem)
    {
        problem = null;
        if (data.Length < 12 + 20 || !data[..4].SequenceEqual("DIRC"u8)) return Fail("not an index file", out problem);
        var version = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        if (version is not (2 or 3)) return Fail($"index version {version}", out problem);
        var count = BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        var end = data.Length - 20;
        var trailer = data[end..];
        if (!trailer.ContainsAnyExcept((byte)0)) return Fail("an index written without its checksum (index.skipHash)", out problem);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data[..end], hash);
        if (!hash.SequenceEqual(trailer)) return Fail("the index's checksum does not match", out problem);

        var entries = reusedEntries ?? new List<IndexEntry>((int)Math.Min(count, (uint)(end / 64)));
        entries.Clear();
        entries.EnsureCapacity((int)Math.Min(count, (uint)(end / 64)));
        var position = 12;
        var firstNamed = 0;
        for (var i = 0u; i < count; i++)
        {
            if (position + 62 > end) return Fail("a truncated entry", out problem);
            var flags = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 60)..]);
            var extended = (flags & 0x4000) != 0;
            if (extended && version < 3) return Fail("an extended entry in a version 2 index", out problem);
            var nameOffset = position + 62 + (extended ? 2 : 0);
            var nameLength = flags & 0xFFF;
            if (nameLength == 0xFFF)
            {
                var nul = nameOffset < end ? data[nameOffset..end].IndexOf((byte)0) : -1;
                if (nul < 0) return Fail("an unterminated name", out problem);
                nameLength = nul;
            }
            var length = ((nameOffset - position) + nameLength + 8) & ~7;
            if (position + length > end || data[nameOffset + nameLength] != 0) return Fail("a malformed entry", out problem);
            var entry = new IndexEntry(position, length, nameOffset, nameLength);
            if (nameLength == 0)
            {
                if (entries.Count != firstNamed) return Fail("a replaced entry after named ones", out problem);
                firstNamed++;
            }
            else if (entries.Count > firstNamed)
            {
                var previous = entries[^1];
                var order = IndexAppender.CompareNames(previous.Name(data), entry.Name(data));
                if (order > 0 || (order == 0 && previous.Stage(data) >= entry.Stage(data))) return Fail("entries out of order", out problem);
            }
            entries.Add(entry);
            position += length;
        }

        var extensions = new List<IndexExtension>();
        string? shared = null;
        while (position < end)
        {
            if (position + 8 > end) return Fail("a truncated extension", out problem);
            var signature = Encoding.ASCII.GetString(data.Slice(position, 4));
            var size = BinaryPrimitives.ReadUInt32BigEndian(data[(position + 4)..]);
            if (size > end - position - 8) return Fail("a truncated extension", out problem);
            var body = position + 8;
            if (Kept.Contains(signature))
            {
                if (signature == "link")
                {
                    if (size < 20) return Fail("a malformed split-index link", out problem);
                    shared = Convert.ToHexStringLower(data.Slice(body, 20));
                }
                extensions.Add(new IndexExtension(signature, body, (int)size));
            }
            else if (!Dropped.Contains(signature))
            {
                return Fail($"index extension {signature}", out problem);
            }
            position = body + (int)size;
        }
        if (firstNamed > 0 && shared is null) return Fail("nameless entries outside a split index", out problem);
        return new IndexFile(version, entries, extensions, shared, firstNamed);
    }

    /// <summary>
    /// Whether adding <paramref name="name"/> would replace an entry or make a directory/file clash: the path is
    /// there, one of its folders is a file here, or it is a folder of paths here.
    /// </summary>
    public bool Clashes(byte[] data, byte[] name)
    {
        if (Find(data, name, exact: true)) return true;
        var folder = new byte[name.Length + 1];
        name.CopyTo(folder, 0);
        folder[^1] = (byte)'/';
        if (Find(data, folder, exact: false)) return true;
        for (var slash = Array.IndexOf(name, (byte)'/'); slash > 0; slash = Array.IndexOf(name, (byte)'/', slash + 1))
            if (Find(data, name.AsSpan(0, slash), exact: true)) return true;
        return false;
    }

    /// <summary>Binary search of the named entries: one named exactly so, or (not exact) one whose name starts so.</summary>
    private bool Find(byte[] data, ReadOnlySpan<byte> name, bool exact)
    {
        int low = FirstNamed, high = Entries.Count;
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (IndexAppender.CompareNames(Entries[middle].Name(data), name) < 0) low = middle + 1;
            else high = middle;
        }
        if (low == Entries.Count) return false;
        var found = Entries[low].Name(data);
        return exact ? found.SequenceEqual(name) : found.StartsWith(name);
    }

    private static IndexFile? Fail(string why, out string? problem)
    {
        problem = why;
        return null;
    }
}

/// <summary>git's compressed bitmaps (ewah/ewah_io.c), as the split index's link extension stores them; read only.</summary>
internal static class Ewah
{
    /// <summary>The positions of the set bits, and how many bytes the bitmap took; null if malformed.</summary>
    public static List<int>? SetBits(ReadOnlySpan<byte> data, out int used)
    {
        used = 0;
        if (data.Length < 8) return null;
        var bitCount = BinaryPrimitives.ReadUInt32BigEndian(data);
        var wordCount = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        if (wordCount > (data.Length - 12) / 8) return null;
        used = 8 + (int)wordCount * 8 + 4;
        var words = data.Slice(8, (int)wordCount * 8);
        var bits = new List<int>();
        long position = 0;
        for (var i = 0; i < wordCount;)
        {
            var marker = BinaryPrimitives.ReadUInt64BigEndian(words[(i++ * 8)..]);
            var runBit = (marker & 1) != 0;
            var runLength = (long)((marker >> 1) & 0xFFFFFFFF);
            var literals = (int)(marker >> 33);
            if (runBit)
                for (var b = position; b < position + runLength * 64 && b < bitCount; b++) bits.Add((int)b);
            position += runLength * 64;
            if (i + literals > wordCount) return null;
            for (var k = 0; k < literals; k++)
            {
                var word = BinaryPrimitives.ReadUInt64BigEndian(words[(i++ * 8)..]);
                for (var bit = 0; bit < 64; bit++)
                    if ((word >> bit & 1) != 0 && position + bit < bitCount) bits.Add((int)(position + bit));
                position += 64;
            }
        }
        return bits;
    }
}

/// <summary>
/// The cache-tree extension (TREE): for each folder, how many entries it covers and the tree they make. Adding a
/// path invalidates the folders above it (entry count -1, no tree), so that git recomputes them, as
/// `git update-index` does; the rest stays valid for a person's next `git commit`.
/// </summary>
internal static class CacheTree
{
    private sealed class Node
    {
        public required byte[] Name { get; init; }
        public int EntryCount { get; set; }
        public byte[]? Id { get; set; }
        public List<Node> Children { get; } = [];
    }

    public static byte[] Invalidate(ReadOnlySpan<byte> body, IEnumerable<byte[]> addedNames)
    {
        var position = 0;
        var root = Read(body, ref position) ?? throw new FormatException("an empty cache tree");
        if (position != body.Length) throw new FormatException("trailing bytes in the cache tree");
        foreach (var name in addedNames)
        {
            var node = root;
            Invalid(node);
            var start = 0;
            for (var slash = Array.IndexOf(name, (byte)'/'); slash > 0 && node is not null; slash = Array.IndexOf(name, (byte)'/', start))
            {
                var part = name.AsSpan(start, slash - start);
                Node? child = null;
                foreach (var candidate in node.Children) if (candidate.Name.AsSpan().SequenceEqual(part)) { child = candidate; break; }
                node = child;
                if (node is not null) Invalid(node);
                start = slash + 1;
            }
        }
        var output = new MemoryStream(body.Length);
        Write(root, output);
        return output.ToArray();
    }

    private static void Invalid(Node node)
    {
        node.EntryCount = -1;
        node.Id = null;
    }

    private static Node? Read(ReadOnlySpan<byte> body, ref int position)
    {
        if (position >= body.Length) return null;
        var nul = body[position..].IndexOf((byte)0);
        if (nul < 0) throw new FormatException("an unterminated cache-tree name");
        var name = body.Slice(position, nul).ToArray();
        position += nul + 1;
        var space = body[position..].IndexOf((byte)' ');
        if (space < 0) throw new FormatException("a malformed cache-tree entry");
        var entryCount = int.Parse(body.Slice(position, space), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        position += space + 1;
        var newline = body[position..].IndexOf((byte)'\n');
        if (newline < 0) throw new FormatException("a malformed cache-tree entry");
        var subtrees = int.Parse(body.Slice(position, newline), NumberStyles.None, CultureInfo.InvariantCulture);
        position += newline + 1;
        byte[]? id = null;
        if (entryCount >= 0)
        {
            if (position + 20 > body.Length) throw new FormatException("a truncated cache-tree id");
            id = body.Slice(position, 20).ToArray();
            position += 20;
        }
        var node = new Node { Name = name, EntryCount = entryCount, Id = id };
        for (var i = 0; i < subtrees; i++)
            node.Children.Add(Read(body, ref position) ?? throw new FormatException("a truncated cache tree"));
        return node;
    }

    private static void Write(Node node, Stream output)
    {
        output.Write(node.Name);
        output.WriteByte(0);
        output.Write(Encoding.ASCII.GetBytes($"{node.EntryCount.ToString(CultureInfo.InvariantCulture)} {node.Children.Count.ToString(CultureInfo.InvariantCulture)}\n"));
        if (node.Id is not null) output.Write(node.Id);
        foreach (var child in node.Children) Write(child, output);
    }
}
