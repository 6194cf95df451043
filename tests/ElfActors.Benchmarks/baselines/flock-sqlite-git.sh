#!/usr/bin/env bash
# The shell baseline for one record, as ELF's record-failure.sh did it before ElfActors: a markdown file,
# an sqlite3 insert, and `git add` + `git commit` under one global flock. Usage: BASE TITLE DOMAIN
set -euo pipefail
base=$1 title=$2 domain=$3
memory="$base/memory"
mkdir -p "$memory/failures"
slug=$(printf '%s' "$title" | tr '[:upper:]' '[:lower:]' | tr ' ' '-' | tr -cd 'a-z0-9-' | cut -c1-100)
file="memory/failures/$(date +%Y%m%d)_${slug}.md"
printf '# %s\n\n**Domain**: %s\n**Severity**: 3\n**Date**: %s\n' "$title" "$domain" "$(date +%F)" > "$base/$file"
esc() { printf '%s' "$1" | sed "s/'/''/g"; }
sqlite3 "$memory/index.db" "CREATE TABLE IF NOT EXISTS learnings (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, filepath TEXT NOT NULL, title TEXT NOT NULL, summary TEXT, tags TEXT, domain TEXT, severity INTEGER DEFAULT 3, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
INSERT INTO learnings(type, filepath, title, domain, severity) VALUES ('failure', '$(esc "$file")', '$(esc "$title")', '$(esc "$domain")', 3);" >/dev/null
(
  flock -w 30 9
  cd "$base"
  git add -- "$file"
  git -c user.name=baseline -c user.email=baseline@localhost commit -q -m "failure: $title" -m "Domain: $domain | Severity: 3" -- "$file"
) 9>"$base/.git/elf-baseline.lock"
echo "Created: $file"
