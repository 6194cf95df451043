namespace ElfActors.Core.Storage;

/// <summary>
/// Schema migrations of ElfActors' own <c>elf_*</c> tables. ELF's tables are ELF's whole schema, applied before
/// these by <see cref="ElfSchema"/> (additive only: an existing ELF database is used as it is, docs/adr/0020).
/// </summary>
internal static class Schema
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "ELF learnings table and the ElfActors outbox", """
            -- ELF's learnings table, its indexes and triggers: ElfSchema (init_db.sql) creates them before any migration.

            -- The queue of records waiting for a git commit. It keeps everything needed to write the
            -- record's file again (ELF's row keeps only the summary's first line), and the request id
            -- that makes a retried request return the first record.
            CREATE TABLE IF NOT EXISTS elf_outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                request_id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                row_table TEXT NOT NULL,
                row_id INTEGER NOT NULL,
                relpath TEXT NOT NULL UNIQUE,
                content TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                enqueued_at TEXT NOT NULL,
                commit_id TEXT,
                committed_at TEXT,
                UNIQUE(row_table, row_id)
            );
            CREATE INDEX IF NOT EXISTS elf_outbox_pending ON elf_outbox(id) WHERE commit_id IS NULL;
            """),

        new(2, "outbox entries that share a file (heuristics)", """
            -- Heuristics of one domain share one file, so a file name is no longer unique per outbox entry:
            -- rebuild the outbox with a partial unique index instead (every kind but 'heuristic' owns its file).
            CREATE TABLE elf_outbox_v2 (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                request_id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                row_table TEXT NOT NULL,
                row_id INTEGER NOT NULL,
                relpath TEXT NOT NULL,
                content TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                enqueued_at TEXT NOT NULL,
                commit_id TEXT,
                committed_at TEXT,
                UNIQUE(row_table, row_id)
            );
            INSERT INTO elf_outbox_v2 SELECT id, request_id, kind, row_table, row_id, relpath, content, subject, detail,
                enqueued_at, commit_id, committed_at FROM elf_outbox;
            DROP TABLE elf_outbox;
            ALTER TABLE elf_outbox_v2 RENAME TO elf_outbox;
            CREATE INDEX elf_outbox_pending ON elf_outbox(id) WHERE commit_id IS NULL;
            CREATE UNIQUE INDEX elf_outbox_own_file ON elf_outbox(relpath) WHERE kind <> 'heuristic';
            CREATE INDEX elf_outbox_relpath ON elf_outbox(relpath);
            """),

        new(3, "the newest commit without reading every entry", """
            -- `elf status` names the last commit that holds a record: found through this index in one step, where
            -- a million entries (their texts included) were read twice before (docs/adr/0052).
            CREATE INDEX IF NOT EXISTS elf_outbox_committed ON elf_outbox(committed_at) WHERE commit_id IS NOT NULL;
            """),
    ];

    public const string MigrationsTable = """
        CREATE TABLE IF NOT EXISTS elf_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        """;
}
