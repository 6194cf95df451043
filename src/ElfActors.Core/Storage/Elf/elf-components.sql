-- What ELF's query.py (_init_database, run on every session start) creates besides init_db.sql: copied from
-- query/query.py of ELF 2d9804343aae9905288583cd0fbbf62d0518c666 (MIT, ELF Contributors). Tables init_db.sql already
-- made keep init_db.sql's shape (it runs first on an install); their columns that only query.py's shape has are
-- added by ElfSchema.UnionColumns (docs/adr/0020).

CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    context TEXT NOT NULL,
    options_considered TEXT,
    decision TEXT NOT NULL,
    rationale TEXT NOT NULL,
    files_touched TEXT,
    tests_added TEXT,
    status TEXT DEFAULT 'accepted',
    domain TEXT,
    superseded_by INTEGER,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (superseded_by) REFERENCES decisions(id)
);

CREATE TABLE IF NOT EXISTS invariants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    statement TEXT NOT NULL,
    rationale TEXT NOT NULL,
    domain TEXT,
    scope TEXT DEFAULT 'codebase',
    validation_type TEXT,
    validation_code TEXT,
    severity TEXT DEFAULT 'error',
    status TEXT DEFAULT 'active',
    violation_count INTEGER DEFAULT 0,
    last_validated_at DATETIME,
    last_violated_at DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_decisions_domain ON decisions(domain);
CREATE INDEX IF NOT EXISTS idx_decisions_status ON decisions(status);
CREATE INDEX IF NOT EXISTS idx_decisions_created_at ON decisions(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_decisions_superseded_by ON decisions(superseded_by);
CREATE INDEX IF NOT EXISTS idx_invariants_domain ON invariants(domain);
CREATE INDEX IF NOT EXISTS idx_invariants_status ON invariants(status);
CREATE INDEX IF NOT EXISTS idx_invariants_severity ON invariants(severity);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_status ON workflow_runs(status);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_created ON workflow_runs(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_node_executions_run ON node_executions(run_id);
CREATE INDEX IF NOT EXISTS idx_node_executions_status ON node_executions(status);
