using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ElfActors.Core.Git;

/// <summary>
/// Writes a batch of blobs as one git pack (version 2, with its version 2 .idx) instead of one loose object file
/// each: creating a file costs an inode allocation and a directory entry, and for a batch of records those
/// dominated the committer's time (docs/adr/0005). Both files are fsynced and renamed into place, the .idx
/// last, so a reader (git or libgit2, which rescans the pack folder when an object is missing) never sees a
/// pack without its index.
/// </summary>
public static class PackWriter
{
    private const int BlobType = 3;

    /// <summary>Writes the blobs; returns each one's object id (hex), in the order given.</summary>
    public static IReadOnlyList<string> WriteBlobs(string gitDirectory, IReadOnlyList<byte[]> blobs)
    {
        var ids = blobs.Select(BlobId).ToArray();
        var unique = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < blobs.Count; i++) unique.TryAdd(Convert.ToHexStringLower(ids[i]), blobs[i]);

        var pack = new MemoryStream();
        Span<byte> header = stackalloc byte[12];
        "PACK"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)unique.Count);
        pack.Write(header);
        var entries = new List<(byte[] Id, uint Crc, long Offset)>(unique.Count);
        foreach (var (hex, data) in unique)
        {
            var offset = pack.Position;
            var entry = new MemoryStream();
            WriteObjectHeader(entry, BlobType, data.Length);
            using (var zlib = new ZLibStream(entry, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(data);
            var bytes = entry.ToArray();
            pack.Write(bytes);
            entries.Add((Convert.FromHexString(hex), Crc32(bytes), offset));
        }
        if (pack.Position > int.MaxValue) throw new InvalidOperationException("a pack of records over 2 GiB");
        var packChecksum = SHA1.HashData(pack.GetBuffer().AsSpan(0, (int)pack.Length));
        pack.Write(packChecksum);

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

        var folder = Path.Combine(gitDirectory, "objects", "pack");
        Directory.CreateDirectory(folder);
        var name = Path.Combine(folder, "pack-" + Convert.ToHexStringLower(packChecksum));
        Place(folder, pack, name + ".pack");
        Place(folder, index, name + ".idx");
        return ids.Select(Convert.ToHexStringLower).ToArray();
    }

    /// <summary>The id git gives a blob: SHA-1 of "blob &lt;size&gt;\0" and the content.</summary>
    public static byte[] BlobId(byte[] data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(Encoding.ASCII.GetBytes($"blob {data.Length}\0"));
        sha.AppendData(data);
        return sha.GetHashAndReset();
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
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temp, finalPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
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

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }
}
