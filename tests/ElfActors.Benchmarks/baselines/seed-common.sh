# Shared by the seed's three designs (sourced): the markdown file and the sqlite3 insert with ELF's retry.
# Each record gets its own file name (the title carries a unique number), so lost records come from locking
# only, not from same-slug overwrites.
set -uo pipefail
base=$1 title=$2 domain=$3
memory="$base/memory"
db="$memory/index.db"
mkdir -p "$memory/failures"
slug=$(printf '%s' "$title" | tr '[:upper:]' '[:lower:]' | tr ' ' '-' | tr -cd 'a-z0-9-' | cut -c1-100)
relpath="memory/failures/$(date +%Y%m%d)_${slug}.md"
filepath="$base/$relpath"
# One lock file for every writer, as the seed's acquire_git_lock.
lock_file="$base/.git/elf-seed.lock"
git_identity=(-c user.name=seed -c user.email=seed@localhost)

write_markdown() {
  printf '# %s\n\n**Domain**: %s\n**Severity**: 3\n**Date**: %s\n\n## Summary\n\nBenchmark record.\n' \
    "$title" "$domain" "$(date +%F)" > "$filepath"
}

esc() { printf '%s' "$1" | sed "s/'/''/g"; }

# ELF's sqlite_with_retry: 5 attempts, a random 0.1-0.5 s back-off between them. Prints the new row's id.
sqlite_with_retry() {
  local attempt out
  for attempt in 1 2 3 4 5; do
    if out=$(sqlite3 "$db" "$1" 2>/dev/null); then printf '%s' "$out"; return 0; fi
    sleep "0.$(( RANDOM % 5 + 1 ))"
  done
  return 1
}

insert_row() {
  LAST_ID=$(sqlite_with_retry "CREATE TABLE IF NOT EXISTS learnings (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, filepath TEXT NOT NULL, title TEXT NOT NULL, summary TEXT, tags TEXT, domain TEXT, severity INTEGER DEFAULT 3, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
INSERT INTO learnings(type, filepath, title, summary, domain, severity) VALUES ('failure', '$(esc "$relpath")', '$(esc "$title")', 'Benchmark record.', '$(esc "$domain")', 3);
SELECT last_insert_rowid();")
}

# The seed's cleanup_on_failure: take back the row and the file.
cleanup_on_failure() {
  rm -f "$filepath"
  [ -n "${LAST_ID:-}" ] && sqlite_with_retry "DELETE FROM learnings WHERE id = $LAST_ID;" >/dev/null
}

commit_record() {
  ( cd "$base" && git add -- "$relpath" && git "${git_identity[@]}" commit -q -m "failure: $title" -m "Domain: $domain | Severity: 3" -- "$relpath" )
}
