-- ELF's database as its templates/init_db.sql creates it, written from ELF-REFERENCE.md (tables, columns,
-- CHECKs, triggers, indexes). Compatibility tests create a database from this file with the sqlite3 shell,
-- then open ElfActors on it: ElfActors must use these tables as they are and add only its own elf_* tables.

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

CREATE TABLE IF NOT EXISTS experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    hypothesis TEXT,
    status TEXT DEFAULT 'active',
    cycles_run INTEGER DEFAULT 0,
    folder_path TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS ceo_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    context TEXT,
    recommendation TEXT,
    status TEXT DEFAULT 'pending',
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    reviewed_at DATETIME
);

CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id INTEGER REFERENCES experiments(id),
    cycle_number INTEGER,
    try_summary TEXT,
    break_summary TEXT,
    analysis TEXT,
    learning_extracted TEXT,
    heuristic_id INTEGER REFERENCES heuristics(id),
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
    metric_type TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    metric_value REAL NOT NULL,
    tags TEXT,
    context TEXT
);

CREATE TABLE IF NOT EXISTS violations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id INTEGER NOT NULL,
    rule_name TEXT NOT NULL,
    violation_date DATETIME DEFAULT CURRENT_TIMESTAMP,
    description TEXT,
    session_id TEXT,
    acknowledged INTEGER DEFAULT 0
);

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
    superseded_by INTEGER REFERENCES decisions(id),
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_learnings_domain ON learnings(domain);
CREATE INDEX IF NOT EXISTS idx_learnings_type ON learnings(type);
CREATE INDEX IF NOT EXISTS idx_learnings_tags ON learnings(tags);
CREATE INDEX IF NOT EXISTS idx_learnings_created_at ON learnings(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_learnings_domain_created ON learnings(domain, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_heuristics_domain ON heuristics(domain);
CREATE INDEX IF NOT EXISTS idx_heuristics_golden ON heuristics(is_golden);
CREATE INDEX IF NOT EXISTS idx_heuristics_confidence ON heuristics(confidence);
CREATE INDEX IF NOT EXISTS idx_heuristics_domain_confidence ON heuristics(domain, confidence DESC);
CREATE INDEX IF NOT EXISTS idx_experiments_status ON experiments(status);
CREATE INDEX IF NOT EXISTS idx_ceo_reviews_status ON ceo_reviews(status);
CREATE INDEX IF NOT EXISTS idx_metrics_type_name ON metrics(metric_type, metric_name, timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_violations_rule ON violations(rule_id);
CREATE INDEX IF NOT EXISTS idx_decisions_domain ON decisions(domain);

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

CREATE TRIGGER IF NOT EXISTS heuristics_validate_insert
BEFORE INSERT ON heuristics
FOR EACH ROW
WHEN NEW.confidence < 0.0 OR NEW.confidence > 1.0 OR NEW.times_validated < 0
BEGIN
    SELECT RAISE(ABORT, 'Validation failed: invalid confidence or counts');
END;

-- A memory ELF has been using: rows ELF wrote before ElfActors took over.
INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at, updated_at)
VALUES ('failure', 'memory/failures/20250101_old-failure.md', 'Old failure', 'written by ELF', 'elf', 'compat', 4,
        '2025-01-01 10:00:00', '2025-01-01 10:00:00');
INSERT INTO heuristics (domain, rule, explanation, source_type, confidence, created_at, updated_at)
VALUES ('compat', 'Old rule', 'written by ELF', 'failure', 0.9, '2025-01-01 10:00:00', '2025-01-01 10:00:00');
INSERT INTO metrics (metric_type, metric_name, metric_value) VALUES ('counter', 'elf_runs', 1);
