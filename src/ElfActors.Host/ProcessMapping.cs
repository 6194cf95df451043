using System.Runtime.CompilerServices;

namespace ElfActors.Host;

/// <summary>A mapping's permissions, the <c>rwxp</c>/<c>rwxs</c> field of <c>/proc/PID/maps</c>.</summary>
[Flags]
internal enum MappingAccess
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    /// <summary><c>s</c>: a shared mapping (writes, if any were allowed, go to the file); otherwise private (<c>p</c>).</summary>
    Shared = 8,
}

/// <summary>What a mapping maps, from its path.</summary>
internal enum MappedFile
{
    /// <summary>No file: anonymous memory, <c>[heap]</c>, <c>[stack]</c>, <c>[vdso]</c>…</summary>
    None,

    /// <summary>An image of loaded code, which the process keeps mapped for its whole life: an assembly
    /// (<c>*.dll</c>), a native library (<c>*.so</c>, <c>*.so.N</c>) or the process's own executable.</summary>
    LoadedImage,

    /// <summary>Any other file on disk (a git pack, an index, SQLite's shared memory…).</summary>
    OtherFile,

    /// <summary>A file no longer on disk (<c>(deleted)</c>) or shared memory (<c>/memfd:…</c>, the JIT's
    /// double-mapped code among them).</summary>
    NotOnDisk,
}

/// <summary>
/// One mapping of a process's address space as <c>/proc/PID/maps</c> (or a header of <c>/proc/PID/smaps</c>) shows it,
/// <c>start-end perms offset major:minor inode path</c>, with its resident kB and the kB that are not the file's own pages
/// (copied on write or swapped out), from <c>smaps</c>' <c>Rss</c>, <c>Anonymous</c> and <c>Swap</c> or from
/// <c>/proc/PID/pagemap</c> (<see cref="MappedImageTrim.CountPages"/>); -1 when read from <c>maps</c>, which does not
/// say, or when the field is missing.
/// </summary>
/// <remarks>
/// The parser works on the file's bytes with loops of its own, its helpers inlined into it: one ReadyToRun method, called
/// twice per idle trim, and no helper of the runtime's called per line. Called per line, those would reach tiered
/// compilation's 30 calls during the trim and be recompiled a moment after it, faulting the JIT's pages (3.6 MiB) back
/// in (ADR 0059).
/// </remarks>
internal readonly record struct ProcessMapping(
    ulong Start, ulong End, MappingAccess Access, ulong Offset, ulong Device, ulong Inode, MappedFile File, long ResidentKib, long AnonymousKib)
{
    /// <summary>The same mapping (range, permissions, offset and file) as <paramref name="other"/>, whatever its pages.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool SameMappingAs(in ProcessMapping other) =>
        Start == other.Start && End == other.End && Access == other.Access && Offset == other.Offset
        && Device == other.Device && Inode == other.Inode && File == other.File;

    /// <summary>
    /// The mappings of a <c>/proc/PID/maps</c> or <c>/proc/PID/smaps</c> text (UTF-8), in its order (ascending
    /// addresses); from smaps with their <c>Rss</c> and <c>Anonymous</c>. Lines it cannot read are skipped.
    /// <paramref name="loadedImagesOnly"/> keeps only <see cref="MappedFile.LoadedImage"/> mappings (a short list).
    /// <paramref name="executable"/> is the process's own executable as UTF-8 (an image, whatever its name), or empty.
    /// </summary>
    public static ProcessMapping[] Parse(ReadOnlySpan<byte> text, ReadOnlySpan<byte> executable, bool loadedImagesOnly)
    {
        // An array grown by hand: List<ProcessMapping>'s methods are not in the ReadyToRun image (the JIT would compile
        // them at the first trim and again, tiered, right after it). Lines are index ranges of the text, never slices:
        // ReadOnlySpan's Slice and constructor are CoreLib's, called (not inlined) from this assembly's precompiled
        // code, and a slice per line reached tiered compilation's 30 calls at every trim (ADR 0068).
        var result = new ProcessMapping[64];
        var count = 0;
        var current = default(ProcessMapping);
        var have = false;
        var lineStart = 0;
        while (lineStart < text.Length)
        {
            var lineEnd = lineStart;
            while (lineEnd < text.Length && text[lineEnd] != (byte)'\n') lineEnd++;
            if (have && Field(text, lineStart, lineEnd, "Rss:"u8)) current = current with { ResidentKib = Kib(text, lineStart, lineEnd) };
            else if (have && Field(text, lineStart, lineEnd, "Anonymous:"u8)) current = current with { AnonymousKib = Kib(text, lineStart, lineEnd) };
            // A page swapped out is an anonymous one too (a clean file page is dropped, never swapped): counted with them.
            else if (have && Field(text, lineStart, lineEnd, "Swap:"u8) && current.AnonymousKib >= 0 && Kib(text, lineStart, lineEnd) is var swapped and > 0)
                current = current with { AnonymousKib = current.AnonymousKib + swapped };
            else if (TryParseHeader(text, lineStart, lineEnd, executable, out var next))
            {
                if (have && (!loadedImagesOnly || current.File == MappedFile.LoadedImage)) Append(ref result, ref count, current);
                current = next;
                have = true;
            }
            lineStart = lineEnd + 1;
        }
        if (have && (!loadedImagesOnly || current.File == MappedFile.LoadedImage)) Append(ref result, ref count, current);
        return Exactly(result, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Append(ref ProcessMapping[] array, ref int count, in ProcessMapping mapping)
    {
        if (count == array.Length)
        {
            var larger = new ProcessMapping[array.Length * 2];
            for (var i = 0; i < count; i++) larger[i] = array[i];
            array = larger;
        }
        array[count++] = mapping;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ProcessMapping[] Exactly(ProcessMapping[] array, int count)
    {
        if (count == array.Length) return array;
        var exact = new ProcessMapping[count];
        for (var i = 0; i < count; i++) exact[i] = array[i];
        return exact;
    }

    /// <summary>Whether text[start..end) begins with <paramref name="name"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Field(ReadOnlySpan<byte> text, int start, int end, ReadOnlySpan<byte> name)
    {
        if (end - start < name.Length) return false;
        for (var i = 0; i < name.Length; i++)
            if (text[start + i] != name[i]) return false;
        return true;
    }

    /// <summary>Whether text[start..end) ends with <paramref name="suffix"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool EndsWith(ReadOnlySpan<byte> text, int start, int end, ReadOnlySpan<byte> suffix) =>
        end - start >= suffix.Length && Field(text, end - suffix.Length, end, suffix);

    /// <summary>"Anonymous:             0 kB" (text[start..end)) → 0; -1 when there is no number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Kib(ReadOnlySpan<byte> text, int start, int end)
    {
        var i = start;
        while (i < end && text[i] != (byte)':') i++;
        i++;
        Spaces(text, end, ref i);
        return Number(text, end, ref i, 10, out var kib) ? (long)kib : -1;
    }

    /// <summary>Reads digits of <paramref name="radix"/> 10 or 16 (lower case, as /proc writes them) from
    /// <paramref name="i"/> up to <paramref name="end"/>; false when there are none or they overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Number(ReadOnlySpan<byte> text, int end, ref int i, uint radix, out ulong value)
    {
        value = 0;
        var start = i;
        for (; i < end; i++)
        {
            var c = text[i];
            uint digit;
            if (c is >= (byte)'0' and <= (byte)'9') digit = (uint)(c - '0');
            else if (radix == 16 && c is >= (byte)'a' and <= (byte)'f') digit = (uint)(c - 'a' + 10);
            else break;
            if (value > (ulong.MaxValue - digit) / radix) return false;
            value = value * radix + digit;
        }
        return i > start;
    }

    /// <summary>Skips spaces up to <paramref name="end"/>; false when there were none (fields are separated by spaces).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Spaces(ReadOnlySpan<byte> text, int end, ref int i)
    {
        var start = i;
        while (i < end && text[i] == (byte)' ') i++;
        return i > start;
    }

    /// <summary>
    /// "7f12a000-7f12b000 r-xp 00001000 08:01 1234   /usr/lib/libc.so.6" in text[start..end) (the path may contain
    /// spaces, or be absent); false for any other line, an smaps field such as "Rss: 4 kB" among them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseHeader(ReadOnlySpan<byte> text, int start, int end, ReadOnlySpan<byte> executable, out ProcessMapping mapping)
    {
        mapping = default;
        var i = start;
        if (!Number(text, end, ref i, 16, out var from) || i >= end || text[i++] != (byte)'-') return false;
        if (!Number(text, end, ref i, 16, out var to) || !Spaces(text, end, ref i) || i + 4 > end) return false;
        var access = MappingAccess.None;
        if (text[i] == (byte)'r') access |= MappingAccess.Read;
        else if (text[i] != (byte)'-') return false;
        if (text[i + 1] == (byte)'w') access |= MappingAccess.Write;
        else if (text[i + 1] != (byte)'-') return false;
        if (text[i + 2] == (byte)'x') access |= MappingAccess.Execute;
        else if (text[i + 2] != (byte)'-') return false;
        if (text[i + 3] == (byte)'s') access |= MappingAccess.Shared;
        else if (text[i + 3] != (byte)'p') return false;
        i += 4;
        if (!Spaces(text, end, ref i) || !Number(text, end, ref i, 16, out var offset) || !Spaces(text, end, ref i)) return false;
        if (!Number(text, end, ref i, 16, out var major) || i >= end || text[i++] != (byte)':' || !Number(text, end, ref i, 16, out var minor)) return false;
        if (!Spaces(text, end, ref i) || !Number(text, end, ref i, 10, out var inode)) return false;
        if (i < end && text[i] != (byte)' ') return false;
        Spaces(text, end, ref i);
        var pathEnd = end;
        while (pathEnd > i && text[pathEnd - 1] is (byte)' ' or (byte)'\r') pathEnd--;
        mapping = new ProcessMapping(from, to, access, offset, (major << 32) | minor, inode, Kind(text, i, pathEnd, executable), -1, -1);
        return true;
    }

    /// <summary>What the path text[start..end) is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static MappedFile Kind(ReadOnlySpan<byte> text, int start, int end, ReadOnlySpan<byte> executable)
    {
        if (start >= end || text[start] != (byte)'/') return MappedFile.None;
        if (EndsWith(text, start, end, " (deleted)"u8) || Field(text, start, end, "/memfd:"u8)) return MappedFile.NotOnDisk;
        if (!executable.IsEmpty && end - start == executable.Length && Field(text, start, end, executable)) return MappedFile.LoadedImage;
        var name = end;
        while (name > start && text[name - 1] != (byte)'/') name--;
        if (EndsWith(text, name, end, ".dll"u8) || EndsWith(text, name, end, ".so"u8)) return MappedFile.LoadedImage;
        // libfoo.so.3, libstdc++.so.6.0.30: ".so." then only digits and dots.
        for (var so = name + 1; so + 4 <= end; so++)
        {
            if (text[so] != (byte)'.' || text[so + 1] != (byte)'s' || text[so + 2] != (byte)'o' || text[so + 3] != (byte)'.') continue;
            var digits = so + 4 < end;
            for (var c = so + 4; c < end; c++) digits &= text[c] is (>= (byte)'0' and <= (byte)'9') or (byte)'.';
            if (digits) return MappedFile.LoadedImage;
        }
        return MappedFile.OtherFile;
    }
}
