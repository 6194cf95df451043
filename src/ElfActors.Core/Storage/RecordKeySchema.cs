using System.Globalization;
using System.Text;
using ElfActors.Core.Git;
using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>
/// Each record's own identity (docs/adr/0017): a UUIDv7 record key, the git blob id of the content it was written
/// with, and, once a person deliberately deleted its file with a commit of their own, that commit. Kept in columns
/// added to ElfActors' own outbox (ELF's tables are left exactly as ELF makes them), plus a small name → value
/// table for the committer's state. Applied idempotently on every open, after <see cref="Schema"/>'s migrations.
/// Rows stored before record keys existed keep a null key: their commits name them by integer id, and only such
/// rows are ever matched against an integer trailer (a recreated index numbers its new rows from 1 again).
/// </summary>
internal static class RecordKeySchema
{
    public static void Apply(SqliteConnection connection, SqliteTransaction transaction)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        using (var info = connection.CreateCommand())
        {
            info.Transaction = transaction;
            info.CommandText = "SELECT name FROM pragma_table_info('elf_outbox')";
            using var reader = info.ExecuteReader();
            while (reader.Read()) columns.Add(reader.GetString(0));
        }
        foreach (var column in new[] { "record_key", "content_hash", "deleted_by" })
            if (!columns.Contains(column)) Execute(connection, transaction, $"ALTER TABLE elf_outbox ADD COLUMN {column} TEXT");
        Execute(connection, transaction, """
            CREATE UNIQUE INDEX IF NOT EXISTS elf_outbox_record_key ON elf_outbox(record_key);
            CREATE TABLE IF NOT EXISTS elf_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            """);
        // The index's own identity, written once when the file is made: a recreated index has another (MemoryIndex.Identity).
        using var identity = connection.CreateCommand();
        identity.Transaction = transaction;
        identity.CommandText = "INSERT OR IGNORE INTO elf_state(name, value) VALUES ($name, $value)";
        identity.Parameters.AddWithValue("$name", MemoryIndex.IdentityState);
        identity.Parameters.AddWithValue("$value", RecordKeys.New());
        identity.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>Record keys and content hashes (docs/adr/0017).</summary>
public static class RecordKeys
{
    /// <summary>A new record key: a UUIDv7 (48-bit Unix milliseconds, then 74 random bits), lower-case, hyphenated.</summary>
    public static string New() => Guid.CreateVersion7().ToString("D", CultureInfo.InvariantCulture);

    /// <summary>Whether a trailer value is a record key (rather than an integer id of the trailers before keys).</summary>
    public static bool IsKey(string value) =>
        value.Length == 36 && Guid.TryParseExact(value, "D", out var guid) && guid.Version == 7;

    /// <summary>
    /// The key of an entry of a shared file whose commit named none (committed before <c>Elf-Entry</c> trailers, or by
    /// ELF's own scripts): derived from the file and the entry's text alone, so every clone, and reindex and arrival
    /// alike, give it the same key (docs/adr/0045). A UUIDv7 whose time is the entry's creation day (0 without one) and
    /// whose other 74 bits are SHA-256 of the file's path and the entry's content hash.
    /// </summary>
    public static string ForEntry(string relativePath, string entryText, DateOnly? created)
    {
        var digest = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("elf-entry\n" + relativePath + "\n" + ContentHash(entryText)));
        var milliseconds = created is { } day ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds() : 0;
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < 6; i++) bytes[i] = (byte)(milliseconds >> (8 * (5 - i)));
        digest.AsSpan(0, 10).CopyTo(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString("D", CultureInfo.InvariantCulture);
    }

    /// <summary>The git blob id of this text as a file in UTF-8: what the tip's tree holds for the record while it is intact.</summary>
    public static string ContentHash(string content)
    {
        // Encoded into a pooled buffer: a record's content is hashed once per record (docs/adr/0071).
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(content));
        try
        {
            var length = Encoding.UTF8.GetBytes(content, rented);
            return ContentHash(rented.AsSpan(0, length));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The git blob id of these bytes.</summary>
    public static string ContentHash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(GitObject.IdOf(GitObjectType.Blob, content));
}
