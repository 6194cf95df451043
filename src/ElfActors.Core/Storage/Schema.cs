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
    ];

    /// <summary>
    /// ELF tables that ElfActors writes besides learnings, each with ELF's indexes and triggers. Each is created
    /// only when the database has no table of that name: an ELF database keeps its own, exactly as it is.
    /// </summary>
    public static readonly IReadOnlyList<(string Table, string Sql)> ElfTables =
    [
        ("heuristics", """
            CREATE TABLE IF NOT EXISTS heuristics (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                domain TEXT NOT NULL,
                rule TEXT NOT NULL,
                explanation TEXT,
                source_type TEXT,
                source_id INTEGER,
                confidence REAL DEFAULT 0.5 CHECK(confidence >= 0.0 AND confidence <= 1.0),
                times_validated INTEGER DEFAULT 0 CHECK(times_validated >= 0),
                times_violated INTEGER DEFAULT 0 CHECK(times_violated >= 0),
                is_golden INTEGER DEFAULT 0,
                created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
            );
            CREATE INDEX IF NOT EXISTS idx_heuristics_domain ON heuristics(domain);
            CREATE INDEX IF NOT EXISTS idx_heuristics_golden ON heuristics(is_golden);
            CREATE INDEX IF NOT EXISTS idx_heuristics_confidence ON heuristics(confidence);
            CREATE INDEX IF NOT EXISTS idx_heuristics_created_at ON heuristics(created_at DESC);
            CREATE INDEX IF NOT EXISTS idx_heuristics_domain_confidence ON heuristics(domain, confidence DESC);
            CREATE TRIGGER IF NOT EXISTS heuristics_validate_insert
            BEFORE INSERT ON heuristics
            FOR EACH ROW
            WHEN NEW.confidence < 0.0 OR NEW.confidence > 1.0
               OR NEW.times_validated < 0
               OR (NEW.times_violated IS NOT NULL AND NEW.times_violated < 0)
            BEGIN
                SELECT RAISE(ABORT, 'Validation failed: invalid confidence or counts');
            END;
            CREATE TRIGGER IF NOT EXISTS heuristics_validate_update
            BEFORE UPDATE ON heuristics
            FOR EACH ROW
            WHEN NEW.confidence < 0.0 OR NEW.confidence > 1.0
               OR NEW.times_validated < 0
               OR (NEW.times_violated IS NOT NULL AND NEW.times_violated < 0)
            BEGIN
                SELECT RAISE(ABORT, 'Validation failed: invalid confidence or counts');
            END;
            """),
        ("decisions", """
            CREATE TABLE IF NOT EXISTS decisions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                title TEXT NOT NULL,
                context TEXT NOT NULL,
                options_considered TEXT,
                decision TEXT NOT NULL,
                rationale TEXT NOT NULL,
                domain TEXT,
                files_touched TEXT,
                tests_added TEXT,
                status TEXT DEFAULT 'accepted',
                superseded_by INTEGER,
                created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                FOREIGN KEY (superseded_by) REFERENCES decisions(id)
            );
            CREATE INDEX IF NOT EXISTS idx_decisions_domain ON decisions(domain);
            CREATE INDEX IF NOT EXISTS idx_decisions_status ON decisions(status);
            CREATE INDEX IF NOT EXISTS idx_decisions_created_at ON decisions(created_at DESC);
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
