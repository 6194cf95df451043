namespace ElfActors.Core.Files;

/// <summary>Writes files so that a reader (or a crash) never sees half of one, and never replaces another's.</summary>
public static class AtomicFile
{
    public const string TempPrefix = ".elf-";
    public const string TempSuffix = ".tmp";

    /// <summary>Writes content to a hidden temporary file beside <paramref name="directory"/>'s records, flushed to disk.</summary>
    public static string WriteTemp(string directory, string content, bool flushToDisk)
    {
        Directory.CreateDirectory(directory);
        var tempPath = Path.Combine(directory, TempPrefix + Guid.NewGuid().ToString("N") + TempSuffix);
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        var options = NewFile(FileShare.None);
        try
        {
            using var stream = new FileStream(tempPath, options);
            stream.Write(bytes);
            stream.Flush(flushToDisk);
        }
        catch
        {
            // A full disk fails the write after the file was created: leave nothing half-written behind.
            TryDelete(tempPath);
            throw;
        }
        return tempPath;
    }

    /// <summary>Replaces (or creates) the file at <paramref name="path"/> with <paramref name="content"/> in one rename: a reader or a crash sees the old file or the new, never half of one.</summary>
    public static void Replace(string path, string content, bool flushToDisk)
    {
        var temp = WriteTemp(Path.GetDirectoryName(path)!, content, flushToDisk);
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes a record's file straight at its final name, in one step with the name reserved by the index (no temp
    /// file and rename: two operations under the records folder's lock in the kernel instead of one, see
    /// docs/adr/0010). The name must be free: <c>O_EXCL</c> never replaces a file nor follows a link. A file already
    /// there with exactly this content counts as written (start-up repair or a retry wrote it first); any other
    /// file there is left alone and the call fails. A write that fails half-way removes what it created.
    /// With a <paramref name="pool"/> that has a file ready, the content goes into that file, made ahead of need, which is
    /// then renamed to the final name without replacing anything (ADR 0080): no inode is allocated here, and the name
    /// appears complete or not at all; the same rules hold for a file already there.
    /// </summary>
    public static void CreateRecord(string finalPath, string content, bool flushToDisk, RecordFilePool? pool = null)
    {
        if (pool is not null && pool.Usable)
        {
            var pooledBytes = System.Buffers.ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetByteCount(content));
            try
            {
                var pooledLength = System.Text.Encoding.UTF8.GetBytes(content, pooledBytes);
                if (pool.TryPlace(finalPath, pooledBytes.AsSpan(0, pooledLength), flushToDisk)) return;
            }
            catch (FileAlreadyExistsException) when (File.ReadAllText(finalPath) == content)
            {
                return;
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(pooledBytes);
            }
        }
        // Readers allowed: the committer may open the new file at any moment to see whether it is complete, and
        // .NET's emulation of FileShare.None (an exclusive flock taken after the file is created) would then fail
        // this write with the file already made.
        var options = NewFile(FileShare.Read);
        FileStream stream;
        try
        {
            stream = new FileStream(finalPath, options);
        }
        catch (DirectoryNotFoundException)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!); // a learnings type's first record
            stream = new FileStream(finalPath, options);
        }
        catch (IOException) when (File.Exists(finalPath) && File.ReadAllText(finalPath) == content)
        {
            return;
        }
        // Encoded into a pooled buffer, not a new array per record (docs/adr/0071).
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetByteCount(content));
        try
        {
            var length = System.Text.Encoding.UTF8.GetBytes(content, rented);
            using (stream)
            {
                stream.Write(rented, 0, length);
                stream.Flush(flushToDisk);
            }
        }
        catch
        {
            TryDelete(finalPath); // created by this call: a full disk must not leave half a record behind
            throw;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A file that must not exist yet, written unbuffered, readable by its owner only (ELF wrote with umask 0077).</summary>
    private static FileStreamOptions NewFile(FileShare share)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = share, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    /// <summary>Moves a temp file to its final name; fails rather than overwrite an existing file.</summary>
    public static void PlaceWithoutOverwrite(string tempPath, string finalPath) =>
        File.Move(tempPath, finalPath, overwrite: false);

    /// <summary>Writes a file in one step (temp, flush, rename) unless a file with that name already exists.</summary>
    public static bool WriteIfAbsent(string finalPath, string content, bool flushToDisk)
    {
        if (File.Exists(finalPath)) return false;
        var temp = WriteTemp(Path.GetDirectoryName(finalPath)!, content, flushToDisk);
        try
        {
            PlaceWithoutOverwrite(temp, finalPath);
            return true;
        }
        catch (IOException) when (File.Exists(finalPath))
        {
            TryDelete(temp);
            return false;
        }
    }

    public static void TryDelete(string? path)
    {
        if (path is null) return;
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static bool IsTempName(string fileName) =>
        fileName.StartsWith(TempPrefix, StringComparison.Ordinal) && fileName.EndsWith(TempSuffix, StringComparison.Ordinal);
}
