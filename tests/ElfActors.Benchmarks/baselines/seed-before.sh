#!/usr/bin/env bash
# "before": the seed's record-failure.sh. File, row (with retry), then `flock -w 30` on one lock file and
# git add + git commit per record; on a lock timeout the file and the row are rolled back and it exits 1.
# Usage: BASE TITLE DOMAIN
. "$(dirname "$0")/seed-common.sh"
write_markdown || exit 1
insert_row || { rm -f "$filepath"; echo "Error: database write failed" >&2; exit 1; }
exec 9>"$lock_file"
if ! flock -w 30 9; then
  cleanup_on_failure
  echo "Error: Could not acquire git lock" >&2
  exit 1
fi
if ! commit_record; then
  cleanup_on_failure
  echo "Error: git commit failed" >&2
  exit 1
fi
echo "Created: $relpath"
