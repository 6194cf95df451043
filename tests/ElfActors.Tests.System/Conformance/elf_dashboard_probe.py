"""Calls every GET route of ELF's dashboard backend (FastAPI TestClient, in process) on the memory at
HOME/.claude/emergent-learning and prints one JSON object: {route: {"status": code, "body": text}}.
Path parameters are filled with the first id of the matching table; routes whose kind has no row are reported
with status null. Usage: python3 elf_dashboard_probe.py <ELF snapshot folder>"""
import json
import sqlite3
import sys
from pathlib import Path

backend = Path(sys.argv[1]) / "dashboard-app" / "backend"
sys.path.insert(0, str(backend))
import main  # noqa: E402  (ELF's app)
from fastapi.testclient import TestClient  # noqa: E402

db = Path.home() / ".claude" / "emergent-learning" / "memory" / "index.db"


def first(sql):
    with sqlite3.connect(db) as conn:
        row = conn.execute(sql).fetchone()
        return None if row is None else row[0]


params = {
    "heuristic_id": lambda: first("SELECT id FROM heuristics ORDER BY id"),
    "decision_id": lambda: first("SELECT id FROM decisions ORDER BY id"),
    "assumption_id": lambda: first("SELECT id FROM assumptions ORDER BY id"),
    "invariant_id": lambda: first("SELECT id FROM invariants ORDER BY id"),
    "spike_id": lambda: first("SELECT id FROM spike_reports ORDER BY id"),
    "run_id": lambda: first("SELECT id FROM workflow_runs ORDER BY id"),
    "export_type": lambda: "learnings",
    "report_id": lambda: None,
    "session_id": lambda: None,
    "filename": lambda: None,
}

client = TestClient(main.app)
results = {}
for route in main.app.routes:
    path = getattr(route, "path", "")
    if "GET" not in getattr(route, "methods", set()) or not path.startswith("/api"):
        continue
    url = path
    missing = False
    for name, value in params.items():
        if "{" + name + "}" in url:
            v = value()
            if v is None:
                missing = True
            url = url.replace("{" + name + "}", str(v))
    if path == "/api/spike-reports/search":
        url = path + "?q=a"
    if missing:
        results[path] = {"status": None, "body": "no record of this kind"}
        continue
    response = client.get(url)
    results[path] = {"status": response.status_code, "body": response.text[:4000]}
print(json.dumps(results))
