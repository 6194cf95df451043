namespace ElfActors.Core.Storage;

/// <summary>
/// Schema migrations. ELF's own tables are created exactly as ELF's init_db.sql creates them (IF NOT EXISTS,
/// so an existing ELF database is used as it is); ElfActors only adds and migrates its own <c>elf_*</c> tables.
/// </summary>
internal static class Schema
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "ELF learnings table and the ElfActors outbox", """
            CREATE TABLE IF NOT EXISTS learnings (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                type TEXT NOT NULL CHECK(type IN ('failure', 'success', 'heuristic', 'experiment', 'observation')),
                filepath TEXT NOT NULL,
                title TEXT NOT NULL,
                summary TEXT,
                tags TEXT,
                domain TEXT,
                severity INTEGER DEFAULT 3 CHECK(severity >= 1 AND severity <= 5),
                created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
            );
            CREATE INDEX IF NOT EXISTS idx_learnings_domain ON learnings(domain);
            CREATE INDEX IF NOT EXISTS idx_learnings_type ON learnings(type);
            CREATE INDEX IF NOT EXISTS idx_learnings_tags ON learnings(tags);
            CREATE INDEX IF NOT EXISTS idx_learnings_created_at ON learnings(created_at DESC);
            CREATE INDEX IF NOT EXISTS idx_learnings_domain_created ON learnings(domain, created_at DESC);
            CREATE TRIGGER IF NOT EXISTS learnings_validate_insert
            BEFORE INSERT ON learnings
            FOR EACH ROW
            WHEN NEW.type NOT IN ('failure', 'success', 'heuristic', 'experiment', 'observation')
               OR (CAST(NEW.severity AS INTEGER) < 1 OR CAST(NEW.severity AS INTEGER) > 5)
            BEGIN
                SELECT RAISE(ABORT, 'Validation failed: invalid type or severity');
            END;
            CREATE TRIGGER IF NOT EXISTS learnings_validate_update
            BEFORE UPDATE ON learnings
            FOR EACH ROW
            WHEN NEW.type NOT IN ('failure', 'success', 'heuristic', 'experiment', 'observation')
               OR (CAST(NEW.severity AS INTEGER) < 1 OR CAST(NEW.severity AS INTEGER) > 5)
            BEGIN
                SELECT RAISE(ABORT, 'Validation failed: invalid type or severity');
            END;

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
    ];

    public const string MigrationsTable = """
        CREATE TABLE IF NOT EXISTS elf_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        """;
}
