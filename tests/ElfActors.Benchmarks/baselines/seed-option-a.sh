#!/usr/bin/env bash
# "option-a": the seed's non-blocking git. A 5 s try-lock; on timeout the commit is skipped with a warning
# and the record stays in the file and the row only; exit 0 whenever the row was written.
# Usage: BASE TITLE DOMAIN
. "$(dirname "$0")/seed-common.sh"
write_markdown || exit 1
insert_row || { rm -f "$filepath"; echo "Error: database write failed" >&2; exit 1; }
exec 9>"$lock_file"
if flock -w 5 9; then
  commit_record || echo "Warning: git commit failed" >&2
else
  echo "Warning: git commit skipped (will retry later)" >&2
fi
echo "Created: $relpath"
