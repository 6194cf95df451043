using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ElfActors.Core.Git;

/// <summary>The git object types a batch writes.</summary>
public enum GitObjectType
{
    Commit = 1,
    Tree = 2,
    Blob = 3,
}

/// <summary>One git object, its id computed from its type and content.</summary>
public sealed class GitObject
{
    public GitObject(GitObjectType type, ReadOnlyMemory<byte> content)
    {
        Type = type;
        Content = content;
        Id = IdOf(type, content.Span);
    }

    public GitObjectType Type { get; }
    public ReadOnlyMemory<byte> Content { get; }
    public byte[] Id { get; }
    public string Hex => Convert.ToHexStringLower(Id);

    /// <summary>The id git gives an object: SHA-1 of "&lt;type&gt; &lt;size&gt;\0" and the content.</summary>
    public static byte[] IdOf(GitObjectType type, ReadOnlySpan<byte> content)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(Encoding.ASCII.GetBytes($"{TypeName(type)} {content.Length}\0"));
        sha.AppendData(content);
        return sha.GetHashAndReset();
    }

    private static string TypeName(GitObjectType type) => type switch
    {
        GitObjectType.Commit => "commit",
        GitObjectType.Tree => "tree",
        GitObjectType.Blob => "blob",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}

/// <summary>
/// Writes a batch's objects (its blobs, the trees above them and the commit) as one git pack (version 2, with
/// its version 2 .idx) instead of one loose object file each: creating a file costs an inode allocation and a
/// directory entry, and for a batch of records those dominated the committer's time (docs/adr/0005). Both
/// files are fsynced and renamed into place, the .idx last, so a reader (git or libgit2, which rescans the
/// pack folder when an object is missing) never sees a pack without its index.
/// <para>The pack is placed with a <c>.keep</c> file beside it, which the caller removes (<see cref="ReleaseKeep"/>)
/// once the branch points at its commit: until then its objects are reachable from nothing, and a person's
/// <c>git gc --prune=now</c> (or any <c>git repack -a -d</c>) that started in between would delete the pack and leave
/// the branch on a commit that no longer exists. git's repack never deletes a kept pack; this is how git's own
/// receive-pack and fetch protect a pack until their refs are updated (<c>index-pack --keep</c>; docs/adr/0041).</para>
/// </summary>
public static class PackWriter
{
    /// <summary>The first line of the <c>.keep</c> files we write (and only ours are removed at start).</summary>
    public const string KeepMarker = "elf-actors: batch pack kept until its branch update";

    /// <summary>
    /// Writes the objects into <paramref name="objectsDirectory"/>/pack (duplicates once), placed with a <c>.keep</c> file;
    /// returns that keep file's path, or null where a pack of the same objects was already in place (nothing new to keep).
    /// </summary>
    public static string? Write(string objectsDirectory, IReadOnlyList<GitObject> objects)
    {
        var unique = new Dictionary<string, GitObject>(StringComparer.Ordinal);
        foreach (var o in objects) unique.TryAdd(o.Hex, o);

        var folder = Path.Combine(objectsDirectory, "pack");
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, "tmp_elf_" + Guid.NewGuid().ToString("N"));
        try
        {
            // Straight to the file, hashed on the way: a batch's pack (a large folder's tree is a megabyte or
            // more) is never held in memory, where it would cost a large-object allocation per commit.
            byte[] packChecksum;
            var entries = new List<(byte[] Id, uint Crc, long Offset)>(unique.Count);
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1))
            {
                Span<byte> header = stackalloc byte[12];
                "PACK"u8.CopyTo(header);
                BinaryPrimitives.WriteUInt32BigEndian(header[4..], 2);
                BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)unique.Count);
                file.Write(header);
                hash.AppendData(header);
                var entry = Scratch;
                foreach (var o in unique.Values)
                {
                    var offset = file.Position;
                    entry.SetLength(0);
                    WriteObjectHeader(entry, (int)o.Type, o.Content.Length);
                    WriteZlib(entry, o.Content.Span);
                    var bytes = entry.GetBuffer().AsSpan(0, (int)entry.Length);
                    file.Write(bytes);
                    hash.AppendData(bytes);
                    entries.Add((o.Id, System.IO.Hashing.Crc32.HashToUInt32(bytes), offset));
                }
                if (file.Position > int.MaxValue) throw new InvalidOperationException("a pack of records over 2 GiB");
                packChecksum = hash.GetHashAndReset();
                file.Write(packChecksum);
                file.Flush(flushToDisk: true);
            }
            var name = Path.Combine(folder, "pack-" + Convert.ToHexStringLower(packChecksum));
            if (File.Exists(name + ".pack") && File.Exists(name + ".idx")) return null; // the same objects, packed before
            // The keep file first: a repack lists the packs (and their keep files) when it starts, and deletes only
            // packs it listed without one.
            var keep = CreateKeep(name + ".keep");
            if (!File.Exists(name + ".pack"))
            {
                ReadOnly(temp);
                File.Move(temp, name + ".pack", overwrite: true);
            }
            Place(folder, Index(entries, packChecksum), name + ".idx");
            return keep;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Removes a keep file <see cref="Write"/> placed: the branch points at the pack's commit, or never will.</summary>
    public static void ReleaseKeep(string? keep)
    {
        if (keep is null) return;
        try
        {
            File.Delete(keep);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Harmless: the pack stays out of git's repacks until the next start removes our keep files.
        }
    }

    /// <summary>Whether a keep file is one of ours (written by <see cref="Write"/>), by its first line.</summary>
    public static bool IsOurKeep(string keep)
    {
        try
        {
            using var reader = new StreamReader(keep);
            return reader.ReadLine() is { } first && first.StartsWith(KeepMarker, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Null where a keep file is there already (someone else's, or a pack of the same objects being placed): it is not ours to remove.</summary>
    private static string? CreateKeep(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
            file.Write(Encoding.UTF8.GetBytes($"{KeepMarker} (pid {Environment.ProcessId})\n"));
            return path;
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    [ThreadStatic] private static MemoryStream? _scratch;

    /// <summary>One compression buffer per thread (a fast writer's pack thread, docs/adr/0072), reused by every object of every batch.</summary>
    private static MemoryStream Scratch => _scratch ??= new MemoryStream();

    private static MemoryStream Index(List<(byte[] Id, uint Crc, long Offset)> entries, byte[] packChecksum)
    {
        entries.Sort((a, b) => a.Id.AsSpan().SequenceCompareTo(b.Id));
        var index = new MemoryStream();
        index.Write([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]);
        Span<byte> word = stackalloc byte[4];
        for (int first = 0, count = 0; first < 256; first++)
        {
            while (count < entries.Count && entries[count].Id[0] <= first) count++;
            BinaryPrimitives.WriteUInt32BigEndian(word, (uint)count);
            index.Write(word);
        }
        foreach (var e in entries) index.Write(e.Id);
        foreach (var e in entries) { BinaryPrimitives.WriteUInt32BigEndian(word, e.Crc); index.Write(word); }
        foreach (var e in entries) { BinaryPrimitives.WriteUInt32BigEndian(word, (uint)e.Offset); index.Write(word); }
        index.Write(packChecksum);
        index.Write(SHA1.HashData(index.GetBuffer().AsSpan(0, (int)index.Length)));
        return index;
    }

    private static void ReadOnly(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static void Place(string folder, MemoryStream content, string finalPath)
    {
        if (File.Exists(finalPath)) return; // the same objects, packed before
        var temp = Path.Combine(folder, "tmp_elf_" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
            {
                file.Write(content.GetBuffer().AsSpan(0, (int)content.Length));
                file.Flush(flushToDisk: true);
            }
            ReadOnly(temp);
            File.Move(temp, finalPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Objects up to this size (a record's file, a commit, a small folder's tree) are written as zlib "stored" blocks, not
    /// compressed: a <see cref="ZLibStream"/> per object was a deflate state set up and torn down per record, for a few
    /// hundred bytes saved each (docs/adr/0062). Larger ones (a large folder's tree, megabytes at 50,000 records) are
    /// compressed as before. git and libgit2 read both alike (any zlib stream); git's repacks keep the stored bytes unless
    /// they make the object a delta or run with <c>-f</c> (<c>git gc --aggressive</c>).
    /// </summary>
    public const int StoredUpTo = 16 * 1024;

    /// <summary>The object's content as one zlib stream: stored blocks up to <see cref="StoredUpTo"/> bytes, else deflated (fastest).</summary>
    internal static void WriteZlib(MemoryStream entry, ReadOnlySpan<byte> content)
    {
        if (content.Length > StoredUpTo)
        {
            using var zlib = new ZLibStream(entry, CompressionLevel.Fastest, leaveOpen: true);
            zlib.Write(content);
            return;
        }
        WriteStored(entry, content);
    }

    /// <summary>The content as a zlib stream of stored (uncompressed) deflate blocks, RFC 1950 and 1951.</summary>
    internal static void WriteStored(Stream entry, ReadOnlySpan<byte> content)
    {
        // RFC 1950 header: deflate, 32 KiB window, no dictionary, level "fastest" (0x78 0x01: a multiple of 31).
        entry.WriteByte(0x78);
        entry.WriteByte(0x01);
        Span<byte> block = stackalloc byte[5];
        var rest = content;
        do
        {
            // RFC 1951 stored block: BFINAL and BTYPE 00 in the first byte, then LEN and its one's complement.
            var length = Math.Min(rest.Length, ushort.MaxValue);
            block[0] = (byte)(length == rest.Length ? 1 : 0);
            BinaryPrimitives.WriteUInt16LittleEndian(block[1..], (ushort)length);
            BinaryPrimitives.WriteUInt16LittleEndian(block[3..], (ushort)~length);
            entry.Write(block);
            entry.Write(rest[..length]);
            rest = rest[length..];
        }
        while (rest.Length > 0);
        Span<byte> adler = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(adler, Adler32(content));
        entry.Write(adler);
    }

    /// <summary>RFC 1950's Adler-32 of the uncompressed data.</summary>
    internal static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint modulus = 65521;
        uint a = 1, b = 0;
        while (data.Length > 0)
        {
            // 5552: the most bytes before b can overflow 32 bits (zlib's NMAX).
            var chunk = data[..Math.Min(data.Length, 5552)];
            foreach (var value in chunk)
            {
                a += value;
                b += a;
            }
            a %= modulus;
            b %= modulus;
            data = data[chunk.Length..];
        }
        return (b << 16) | a;
    }

    private static void WriteObjectHeader(Stream stream, int type, long size)
    {
        var first = (byte)((type << 4) | (int)(size & 0x0f));
        size >>= 4;
        if (size > 0) first |= 0x80;
        stream.WriteByte(first);
        while (size > 0)
        {
            var next = (byte)(size & 0x7f);
            size >>= 7;
            if (size > 0) next |= 0x80;
            stream.WriteByte(next);
        }
    }
}
