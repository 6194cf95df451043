using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ElfActors.Core.Git;

/// <summary>A file to add to git's index: its path in the repository, the blob committed for it, its stat before it was read.</summary>
public readonly record struct IndexAddition(string Path, byte[] BlobId, FileStat Stat);

/// <summary>
/// Adds new paths to git's index in-process, for the common case only, and says when git must do it instead.
/// <para>
/// `git update-index` reads the whole index to add one entry. With 100,000 tracked files that is a 9 MB shared
/// index read, checksummed and merged per commit: 25 ms on an idle machine, 50–60 ms beside a load, half of a
/// commit (docs/adr/0012). The shared index of a split index never changes once written (its name is its hash), so
/// its paths are read once; each commit then rewrites only the small split part, as git would.
/// </para>
/// <para>
/// It follows git's protocol: the index is replaced by a rename only while this process holds <c>index.lock</c>,
/// created exclusively as git does. The new index is built from the index read before the lock is taken, written to
/// its own file beside it, and renamed over the index under the lock only if the index is still the one read
/// (docs/adr/0060): the lock is held for a check and a rename. Entries another writer left "racily clean" (modified in
/// the second the index was last written) are checked against the file's content and smudged if it changed, as git
/// does on every write, against the new file's own second (docs/adr/0058). Anything it does not handle —
/// a path already in the index, a directory/file clash, index version 4, extensions it does not know (untracked
/// cache, fsmonitor, sparse index), a split index due to be re-split, a checksum that does not match — is left to
/// git: <see cref="TryAdd"/> returns why, and leaves nothing behind.
/// </para>
/// </summary>
internal sealed class IndexAppender(string gitDirectory, string workTree)
{
    private const int HashLength = 20;
    private const int EntryHeaderLength = 62;
    private const int MaxNameLength = 0xFFF;
    private SharedIndex? _shared;
    private byte[] _checkBuffer = new byte[16 << 10];

    // Kept from commit to commit and written in place (docs/adr/0076): at 5,000 records/s each was an array per commit
    // that the GC had to collect, the index's entries (16 bytes each) and the batch's racy entries large objects.
    private readonly List<IndexEntry> _entries = [];
    private readonly List<(byte[] Name, IndexAddition Addition)> _added = [];
    private readonly List<(byte[] Name, IndexAddition Addition, bool Smudge)> _newEntries = [];
    private readonly List<RacyEntry> _racy = [];
    private readonly HashSet<RacyEntry> _checkedEntries = [];
    private readonly byte[] _writeBuffer = new byte[1 << 16];

    /// <summary>Files read back and hashed to check a racily clean entry, so far.</summary>
    public long ContentChecks { get; private set; }

    /// <summary>An entry the racy-git rule may have to check: carried over (its position) or new (its place in the additions).</summary>
    private readonly record struct RacyEntry(int Existing, int Added, uint Seconds, bool RacyToNanoseconds);

    /// <summary>Percent of entries outside the shared index past which git writes a new shared index (splitIndex.maxPercentChange).</summary>
    public int MaxPercentChange { get; set; } = 20;

    /// <summary>A whole (not split) index above this size is left to git, which splits it.</summary>
    public long SplitThreshold { get; set; } = 4L << 20;

    /// <summary>How git has its index set up to be split: core.splitIndex, unset (null) unless a person set it.</summary>
    public bool? SplitIndexSetting { get; set; }

    private string IndexPath => Path.Combine(gitDirectory, "index");

    /// <summary>
    /// Where the new index is written before git's lock is taken, then renamed over the index under the lock. One host
    /// per memory: the name is fixed; one a killed host left is written over at the next commit.
    /// </summary>
    internal string NewIndexPath => Path.Combine(gitDirectory, "elf-index.new");

    /// <summary>
    /// How many times the index is read and its new content built when another git changed the index between the read
    /// and the lock; then <see cref="GitIndexChangingException"/>: the index is never read under the lock.
    /// </summary>
    internal const int Attempts = 3;

    /// <summary>Times the index was found changed between its read and the lock (a person's git wrote it), and read again.</summary>
    public int ChangedBeforeLock { get; private set; }

    /// <summary>Runs after the new index is built and before its lock is taken: tests run a person's git here.</summary>
    internal Action? AfterBuild { get; set; }

    /// <summary>
    /// Adds the entries, or returns why git must: then the index is untouched. Throws <see cref="GitLockHeldException"/>
    /// when another process holds the index lock, and <see cref="GitIndexChangingException"/> when another git rewrote
    /// the index after each of <see cref="Attempts"/> reads (nothing is written then either).
    /// <para>
    /// The new index is read and built (racy entries checked, entries merged, checksummed) and written to
    /// <see cref="NewIndexPath"/> <em>before</em> <c>index.lock</c> is taken: a person's git that starts meanwhile finds
    /// the index free. Under the lock only the check that the index is still the one read (its size and checksum: git
    /// replaces the index by a rename, so a change is a new file with another checksum) and the rename remain
    /// (docs/adr/0060). An index changed in between (a person's <c>git add</c>) is read and built again, so what they
    /// staged is kept. <paramref name="beforeLock"/> runs right before each attempt to take the lock (the committer's
    /// look for a person's git: it throws to hold the commit).
    /// </para>
    /// </summary>
    public string? TryAdd(IReadOnlyList<IndexAddition> additions, Action? beforeLock = null)
    {
        if (additions.Count == 0) return null;
        try
        {
            return Add(additions, beforeLock);
        }
        finally
        {
            // The kept lists let go of the batch's names and blob ids: held until the next batch, they would be promoted.
            _added.Clear();
            _newEntries.Clear();
        }
    }

    private string? Add(IReadOnlyList<IndexAddition> additions, Action? beforeLock)
    {
        var added = _added;
        added.Clear();
        foreach (var addition in additions)
        {
            var name = Encoding.UTF8.GetBytes(addition.Path);
            if (!IsPlainPath(addition.Path) || name.Length >= MaxNameLength) return $"unusual path {addition.Path}";
            added.Add((name, addition));
        }
        added.Sort((a, b) => CompareNames(a.Name, b.Name));
        for (var i = 1; i < added.Count; i++)
            if (CompareNames(added[i - 1].Name, added[i].Name) == 0) return $"{added[i].Addition.Path} twice";

        var lockPath = IndexPath + ".lock";
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var renamed = false;
            try
            {
                if (Build(added, out var reason) is not { } built) return reason;
                AfterBuild?.Invoke();
                // Changed during the build (a person's git): built again without taking the lock at all.
                if (!StillTheIndexRead(built))
                {
                    ChangedBeforeLock++;
                    continue;
                }
                beforeLock?.Invoke();
                TakeLock(lockPath);
                try
                {
                    if (!StillTheIndexRead(built))
                    {
                        ChangedBeforeLock++;
                        continue;
                    }
                    // The new index is complete in its own file: git's lock is held for a check and a rename only.
                    File.Move(NewIndexPath, IndexPath, overwrite: true);
                    renamed = true;
                }
                finally
                {
                    TryDelete(lockPath);
                }
                if (built.SharedPath is { } sharedPath) Freshen(sharedPath);
                return null;
            }
            catch (IOException e)
            {
                throw new GitStoreException($"could not update the index: {e.Message}", e);
            }
            finally
            {
                if (!renamed) TryDelete(NewIndexPath);
            }
        }
        throw new GitIndexChangingException(Attempts);
    }

    /// <summary>Takes git's index lock as git does (created exclusively), empty: the new index is written beside it, in <see cref="NewIndexPath"/>.</summary>
    private static void TakeLock(string lockPath)
    {
        try
        {
            new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None).Dispose();
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            throw new GitLockHeldException($"index update: {lockPath} is held by another process", lockPath);
        }
    }

    /// <summary>The index the new one was built from: its length and checksum (its last 20 bytes), and its shared index.</summary>
    private readonly record struct BuiltIndex(long Length, byte[] Checksum, string? SharedPath);

    /// <summary>
    /// Whether the index is still the one <paramref name="built"/> was made from: the same length and checksum. Looked at
    /// before the lock is taken (a change during the build needs no lock to be seen) and again under it, where nothing
    /// replaces the index meanwhile.
    /// </summary>
    private bool StillTheIndexRead(BuiltIndex built)
    {
        try
        {
            using var index = File.OpenHandle(IndexPath);
            var length = RandomAccess.GetLength(index);
            if (length != built.Length) return false;
            Span<byte> checksum = stackalloc byte[HashLength];
            return RandomAccess.Read(index, checksum, length - HashLength) == HashLength && checksum.SequenceEqual(built.Checksum);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the index and writes it with the additions into <see cref="NewIndexPath"/>, or returns why not. The length, the
    /// time (for racy entries) and the bytes all come from one open file: git replaces the index by a rename, never in
    /// place, so what one handle reads is one whole index.
    /// </summary>
    private BuiltIndex? Build(List<(byte[] Name, IndexAddition Addition)> added, out string? reason)
    {
        reason = null;
        FileStream input;
        try
        {
            input = new FileStream(IndexPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (FileNotFoundException)
        {
            reason = "no index yet";
            return null;
        }
        byte[] data;
        int length;
        DateTime written;
        using (input)
        {
            length = checked((int)input.Length);
            written = File.GetLastWriteTimeUtc(input.SafeFileHandle);
            data = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                input.ReadExactly(data, 0, length);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(data);
                throw;
            }
        }
        try
        {
            string? sharedPath;
            using (var output = new FileStream(NewIndexPath, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                reason = Rewrite(added, data, length, written, output, NewIndexPath, out sharedPath);
            if (reason is not null) return null;
            return new BuiltIndex(length, data.AsSpan(length - HashLength, HashLength).ToArray(), sharedPath);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>
    /// Writes the index read (<paramref name="data"/>) with the additions into <paramref name="output"/>, the file at
    /// <paramref name="outputPath"/>, or returns why not.
    /// </summary>
    private string? Rewrite(List<(byte[] Name, IndexAddition Addition)> added, byte[] data, int length, DateTime written, FileStream output,
        string outputPath, out string? sharedPath)
    {
        sharedPath = null;
        var parsed = IndexFile.Parse(data.AsSpan(0, length), _entries, out var problem);
        if (parsed is null) return problem;
        // Racily clean: modified in (or after) the second the index was written, so stat cannot tell later changes.
        var racyFrom = (uint)new DateTimeOffset(written).ToUnixTimeSeconds();
        var racyFromNanoseconds = (uint)(written.Ticks % TimeSpan.TicksPerSecond * 100); // to 100 ns, rounded down: never fewer checks

        SharedIndex? shared = null;
        if (parsed.SharedIndexId is { } sharedId)
        {
            if (SplitIndexSetting == false) return "core.splitIndex is false: git unsplits the index";
            shared = LoadShared(sharedId, out problem);
            if (shared is null) return problem;
        }
        else if (SplitIndexSetting == true || length > SplitThreshold)
        {
            return "the index is due to be split";
        }

        foreach (var (name, addition) in added)
        {
            if (parsed.Clashes(data, name) || shared?.Clashes(name) == true) return $"{addition.Path} is in the index already, or clashes with a path there";
        }

        // A split index's first entries replace shared ones, named by the set bits of its replace bitmap.
        IReadOnlyList<int> replaced = [];
        if (shared is not null)
        {
            var positions = parsed.ReplacedPositions(data, out var deleted);
            if (positions is null || positions.Count != parsed.ReplacedCount || positions.Any(p => p >= shared.Count))
                return "a split index whose replace bitmap does not match its entries";
            replaced = positions;
            // git's own rule (too_many_not_shared_entries), so that git is asked exactly when it will re-split.
            long notShared = parsed.Entries.Count - parsed.ReplacedCount + added.Count;
            var entries = shared.Count - deleted + notShared;
            if (MaxPercentChange == 0 || (MaxPercentChange < 100 && entries * MaxPercentChange < notShared * 100))
                return "the split index is due to be re-split";
        }

        // Racy entries of the shared index (it was written in the last second, by git re-splitting): git moves
        // them into the split part to smudge them. Unchanged, they stay as they are, which is what git's move
        // writes for them; a changed one is left to git.
        if (shared is not null && shared.NewestMtime >= racyFrom)
        {
            var overridden = replaced.ToHashSet();
            foreach (var position in shared.RacyPositions(racyFrom))
            {
                if (overridden.Contains(position)) continue;
                if (shared.StageAt(position) != 0 || ContentChanged(shared.NameAt(position), shared.BlobIdAt(position)))
                    return "a racily clean entry of the shared index changed (git moves it into the split index)";
            }
        }

        // Racily clean entries (git's ce_smudge_racily_clean_entry), carried over and new: docs/adr/0058. Their
        // contents are checked once the new index is written, against the written file's own time (the rename under
        // the lock keeps it), and the file is written again only if one changed.
        var racy = _racy;
        racy.Clear();
        for (var i = 0; i < parsed.Entries.Count; i++)
        {
            var entry = parsed.Entries[i];
            var seconds = entry.MtimeSeconds(data);
            if (seconds < racyFrom) continue;
            if (entry.Stage(data) != 0) return "a racily clean conflict entry";
            var nanoseconds = entry.MtimeNanoseconds(data);
            // Racy to a git that compares nanoseconds too (USE_NSEC): its own writer checks these, so do we, always.
            var racyToNanoseconds = seconds > racyFrom || (seconds == racyFrom && nanoseconds >= racyFromNanoseconds);
            racy.Add(new RacyEntry(i, -1, seconds, racyToNanoseconds));
        }
        for (var j = 0; j < added.Count; j++)
        {
            // New entries were hashed from the file just now, after their stat (git's ce_uptodate: git skips them).
            if (added[j].Addition.Stat.MtimeSeconds >= racyFrom) racy.Add(new RacyEntry(-1, j, added[j].Addition.Stat.MtimeSeconds, false));
        }

        var extensions = new List<(string Signature, ReadOnlyMemory<byte> Body)>(parsed.Extensions.Count);
        foreach (var extension in parsed.Extensions)
        {
            var body = data.AsMemory(extension.Offset, extension.Length);
            try
            {
                if (extension.Signature == "TREE") body = CacheTree.Invalidate(body.Span, added.Select(a => a.Name));
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                return "a cache tree it cannot read: " + e.Message;
            }
            extensions.Add((extension.Signature, body));
        }

        var smudged = new HashSet<int>();
        var newEntries = _newEntries;
        newEntries.Clear();
        foreach (var (name, addition) in added) newEntries.Add((name, addition, false));
        var checkedEntries = _checkedEntries;
        checkedEntries.Clear();
        while (true)
        {
            WriteIndex(output, _writeBuffer, data, parsed, newEntries, smudged, extensions);
            // What a reader compares entries with: the index file's mtime, this file's now (the rename keeps it).
            var writtenAt = FileStat.StampOf(outputPath) is { } stamp ? (uint)stamp.MtimeSeconds : uint.MaxValue;
            var changed = false;
            foreach (var entry in racy)
            {
                // An entry in the second the index is written in stays racy to every reader, which checks it then.
                if (entry.Seconds >= writtenAt && !entry.RacyToNanoseconds) continue;
                if (!checkedEntries.Add(entry)) continue;
                ContentChecks++;
                var name = entry.Existing >= 0
                    ? parsed.Entries[entry.Existing].NameLength > 0 ? Encoding.UTF8.GetString(parsed.Entries[entry.Existing].Name(data)) : shared!.NameAt(replaced[entry.Existing])
                    : added[entry.Added].Addition.Path;
                var blobId = entry.Existing >= 0 ? parsed.Entries[entry.Existing].BlobId(data) : added[entry.Added].Addition.BlobId;
                if (!ContentChanged(name, blobId)) continue;
                changed = true;
                if (entry.Existing >= 0) smudged.Add(entry.Existing);
                else newEntries[entry.Added] = newEntries[entry.Added] with { Smudge = true };
            }
            if (!changed) break;
            output.SetLength(0);
            output.Position = 0;
        }
        sharedPath = shared?.Path;
        return null;
    }

    /// <summary>Writes the index through <paramref name="buffer"/> (the appender's, reused: no buffer per commit).</summary>
    private static void WriteIndex(Stream output, byte[] buffer, byte[] data, IndexFile parsed, List<(byte[] Name, IndexAddition Addition, bool Smudge)> added,
        HashSet<int> smudged, List<(string Signature, ReadOnlyMemory<byte> Body)> extensions)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var used = 0;
        void Flush()
        {
            output.Write(buffer, 0, used);
            used = 0;
        }
        void Write(ReadOnlySpan<byte> bytes)
        {
            hash.AppendData(bytes);
            Put(bytes);
        }
        void Put(ReadOnlySpan<byte> bytes)
        {
            if (used + bytes.Length > buffer.Length) Flush();
            if (bytes.Length > buffer.Length)
            {
                output.Write(bytes);
                return;
            }
            bytes.CopyTo(buffer.AsSpan(used));
            used += bytes.Length;
        }

        Span<byte> header = stackalloc byte[12];
        data.AsSpan(0, 4).CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], parsed.Version);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)(parsed.Entries.Count + added.Count));
        Write(header);

        void WriteExisting(int i)
        {
            var entry = parsed.Entries[i];
            var bytes = data.AsSpan(entry.Offset, entry.Length);
            if (!smudged.Contains(i))
            {
                Write(bytes);
                return;
            }
            var copy = bytes.ToArray();
            BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(36), 0); // size 0: git re-reads the file
            Write(copy);
        }

        // Replaced entries of a split index (no name) come first, in their bitmap's order; named ones follow sorted.
        var next = 0;
        while (next < parsed.Entries.Count && parsed.Entries[next].NameLength == 0) WriteExisting(next++);
        var entryBuffer = new byte[EntryHeaderLength + MaxNameLength + 8];
        foreach (var (name, addition, smudge) in added)
        {
            while (next < parsed.Entries.Count && CompareNames(parsed.Entries[next].Name(data), name) < 0) WriteExisting(next++);
            Write(NewEntry(entryBuffer, name, addition, smudge));
        }
        while (next < parsed.Entries.Count) WriteExisting(next++);

        Span<byte> extensionHeader = stackalloc byte[8];
        foreach (var (signature, body) in extensions)
        {
            Encoding.ASCII.GetBytes(signature, extensionHeader);
            BinaryPrimitives.WriteUInt32BigEndian(extensionHeader[4..], (uint)body.Length);
            Write(extensionHeader);
            Write(body.Span);
        }
        Span<byte> checksum = stackalloc byte[HashLength];
        hash.GetHashAndReset(checksum);
        Put(checksum);
        Flush();
        output.Flush();
    }

    /// <summary>One version 2 entry: stat data, blob id, flags (name length), the name, 1–8 NULs to a multiple of 8.</summary>
    private static ReadOnlySpan<byte> NewEntry(byte[] buffer, byte[] name, IndexAddition addition, bool smudge)
    {
        var stat = addition.Stat;
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, stat.CtimeSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], stat.CtimeNanoseconds);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], stat.MtimeSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], stat.MtimeNanoseconds);
        BinaryPrimitives.WriteUInt32BigEndian(span[16..], stat.Device);
        BinaryPrimitives.WriteUInt32BigEndian(span[20..], stat.Inode);
        BinaryPrimitives.WriteUInt32BigEndian(span[24..], stat.Mode);
        BinaryPrimitives.WriteUInt32BigEndian(span[28..], stat.Uid);
        BinaryPrimitives.WriteUInt32BigEndian(span[32..], stat.Gid);
        BinaryPrimitives.WriteUInt32BigEndian(span[36..], smudge ? 0 : stat.Size);
        addition.BlobId.CopyTo(span[40..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[60..], (ushort)name.Length);
        name.CopyTo(span[EntryHeaderLength..]);
        var length = (EntryHeaderLength + name.Length + 8) & ~7;
        span[(EntryHeaderLength + name.Length)..length].Clear();
        return span[..length];
    }

    /// <summary>
    /// Whether the file no longer holds the blob (a missing file is left for git to see as deleted, as git does).
    /// At 5,000 records/s a commit checks thousands of files written in the current second: one open, read and
    /// close each, into one reused buffer, hashed in one call.
    /// </summary>
    private bool ContentChanged(string path, ReadOnlySpan<byte> blobId)
    {
        try
        {
            using var file = File.OpenHandle(Path.Combine(workTree, path));
            const int headerRoom = 32; // "blob <length>\0" goes right before the content
            var length = 0;
            for (int n; (n = RandomAccess.Read(file, _checkBuffer.AsSpan(headerRoom + length), length)) > 0;)
            {
                length += n;
                if (headerRoom + length == _checkBuffer.Length) Array.Resize(ref _checkBuffer, _checkBuffer.Length * 2);
            }
            var header = Encoding.ASCII.GetBytes($"blob {length}\0");
            header.CopyTo(_checkBuffer, headerRoom - header.Length);
            Span<byte> id = stackalloc byte[HashLength];
            SHA1.HashData(_checkBuffer.AsSpan(headerRoom - header.Length, header.Length + length), id);
            return !id.SequenceEqual(blobId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private SharedIndex? LoadShared(string id, out string? problem)
    {
        problem = null;
        if (_shared?.Id == id) return _shared;
        var path = Path.Combine(gitDirectory, "sharedindex." + id);
        // git writes a new shared index each time it re-splits (every few thousand records at 5,000/s: megabytes, and
        // 16 bytes an entry parsed): read into the last one's buffer and entry list, which no one reads any more.
        var bytes = _shared?.Data;
        var entries = _shared?.Index.Entries ?? [];
        _shared = null;
        int length;
        try
        {
            using var file = File.OpenHandle(path);
            length = checked((int)RandomAccess.GetLength(file));
            if (bytes is null || bytes.Length < length) bytes = new byte[length];
            for (int read = 0, n; read < length; read += n)
                if ((n = RandomAccess.Read(file, bytes.AsSpan(read, length - read), read)) == 0) throw new IOException("the shared index was cut short while read");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read the shared index: {e.Message}";
            return null;
        }
        var parsed = IndexFile.Parse(bytes.AsSpan(0, length), entries, out problem);
        if (parsed is null) return null;
        if (parsed.SharedIndexId is not null) { problem = "a shared index that is itself split"; return null; }
        return _shared = new SharedIndex(id, path, bytes, parsed);
    }

    /// <summary>git refreshes the shared index's time on every write so that no git expires it (splitIndex.sharedIndexExpire).</summary>
    private static void Freshen(string sharedPath)
    {
        try
        {
            var now = DateTime.UtcNow;
            if (File.GetLastWriteTimeUtc(sharedPath) < now.AddHours(-1)) File.SetLastWriteTimeUtc(sharedPath, now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // git freshens it on its next write
        }
    }

    /// <summary>A path as git stores it: relative, '/'-separated, no empty, "." or ".." component, nothing under .git.</summary>
    private static bool IsPlainPath(string path)
    {
        if (path.Length == 0 || path.Contains('\\') || path.Contains('\0')) return false;
        foreach (var part in path.Split('/'))
            if (part.Length == 0 || part == "." || part == ".." || part.Equals(".git", StringComparison.OrdinalIgnoreCase)) return false;
        return true;
    }

    /// <summary>git's order of index entries: bytes, then the shorter name first.</summary>
    internal static int CompareNames(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The paths of a shared index, read once: the file never changes (git names it by its hash).</summary>
    private sealed class SharedIndex
    {
        private readonly byte[] _data;
        private readonly IndexFile _index;

        public SharedIndex(string id, string path, byte[] data, IndexFile index)
        {
            Id = id;
            Path = path;
            _data = data;
            _index = index;
            NewestMtime = index.Entries.Count == 0 ? 0 : index.Entries.Max(e => e.MtimeSeconds(data));
        }

        public string Id { get; }
        public string Path { get; }

        /// <summary>The file's bytes, at the start of a buffer that may be longer (reused for the next shared index).</summary>
        public byte[] Data => _data;

        public IndexFile Index => _index;
        public int Count => _index.Entries.Count;
        public uint NewestMtime { get; }

        public bool Clashes(byte[] name) => _index.Clashes(_data, name);

        public string NameAt(int position) => Encoding.UTF8.GetString(_index.Entries[position].Name(_data));

        public ReadOnlySpan<byte> BlobIdAt(int position) => _index.Entries[position].BlobId(_data);

        public int StageAt(int position) => _index.Entries[position].Stage(_data);

        public IEnumerable<int> RacyPositions(uint racyFrom)
        {
            for (var i = 0; i < _index.Entries.Count; i++)
                if (_index.Entries[i].MtimeSeconds(_data) >= racyFrom) yield return i;
        }
    }
}
