using System.IO.Compression;
using System.Text;
using ElfActors.Core.Git;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

/// <summary>
/// The batch pack's objects, small ones written as zlib stored blocks by hand (docs/adr/0062), large ones deflated:
/// read back by git itself (`git cat-file`, `git verify-pack`, `git fsck --strict`) and by .NET's zlib, in a real repository.
/// </summary>
public sealed class PackWriterTests : IDisposable
{
    private readonly DirectoryInfo _repository = Directory.CreateTempSubdirectory("elf-pack-");

    private string Repo => _repository.FullName;

    public void Dispose() => _repository.Delete(recursive: true);

    private static byte[] Text(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (byte)random.Next(0, 256)).ToArray();
    }

    [Fact]
    public void Objects_stored_and_deflated_of_every_size_around_the_block_and_threshold_limits_are_read_back_by_git_exactly()
    {
        Tools.Git(Repo, "init", "-q");
        int[] sizes = [0, 1, 500, 5552, 5553, PackWriter.StoredUpTo, PackWriter.StoredUpTo + 1, 65_535, 65_536, 200_000];
        var blobs = sizes.Select((size, i) => new GitObject(GitObjectType.Blob, Text(size, i))).ToList();
        var objects = Path.Combine(Repo, ".git", "objects");

        var keep = PackWriter.Write(objects, blobs);
        PackWriter.ReleaseKeep(keep);

        var pack = Directory.GetFiles(Path.Combine(objects, "pack"), "pack-*.pack").Single();
        var verified = Tools.Git(Repo, "verify-pack", "-v", Path.ChangeExtension(pack, ".idx"));
        foreach (var blob in blobs)
        {
            Assert.Contains(blob.Hex + " blob", verified, StringComparison.Ordinal);
            Assert.Equal(blob.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Tools.Git(Repo, "cat-file", "-s", blob.Hex).Trim());
        }
        // Byte for byte, as git inflates it.
        foreach (var blob in blobs)
        {
            var copy = Path.Combine(Repo, "copy");
            using (var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["-C", Repo, "cat-file", "blob", blob.Hex])
                   { RedirectStandardOutput = true, UseShellExecute = false })!)
            {
                using var output = File.Create(copy);
                process.StandardOutput.BaseStream.CopyTo(output);
                process.WaitForExit();
                Assert.Equal(0, process.ExitCode);
            }
            Assert.Equal(blob.Content.ToArray(), File.ReadAllBytes(copy));
        }
        Tools.Git(Repo, "fsck", "--strict", "--no-dangling");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(300_001)]
    public void A_stored_stream_of_several_blocks_inflates_to_its_content(int length)
    {
        // WriteZlib's stored path, forced past one 65,535-byte block (a batch stores only objects up to StoredUpTo).
        var content = Text(length, length);
        var stream = new MemoryStream();
        PackWriter.WriteStored(stream, content);
        stream.Position = 0;
        using var inflate = new ZLibStream(stream, CompressionMode.Decompress);
        var back = new MemoryStream();
        inflate.CopyTo(back);
        Assert.Equal(content, back.ToArray());
    }

    [Fact]
    public void Adler32_is_zlibs()
    {
        // RFC 1950's checksum: 1 for nothing; "Wikipedia" is 0x11E60398; a megabyte of 0xFF crosses the 5,552-byte chunks.
        Assert.Equal(1u, PackWriter.Adler32([]));
        Assert.Equal(0x11E60398u, PackWriter.Adler32(Encoding.ASCII.GetBytes("Wikipedia")));
        var ones = Enumerable.Repeat((byte)0xFF, 1 << 20).ToArray();
        var stream = new MemoryStream();
        using (var zlib = new ZLibStream(stream, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(ones);
        var trailer = stream.ToArray()[^4..];
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(trailer), PackWriter.Adler32(ones));
    }
}
