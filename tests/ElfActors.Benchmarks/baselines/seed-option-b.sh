#!/usr/bin/env bash
# "option-b": the seed's async git queue. File, row, then append the path to the queue file and exit 0;
# seed-option-b-worker.sh commits what the queue holds. Usage: BASE TITLE DOMAIN
. "$(dirname "$0")/seed-common.sh"
write_markdown || exit 1
insert_row || { rm -f "$filepath"; echo "Error: database write failed" >&2; exit 1; }
# One short write per line under O_APPEND: lines from concurrent writers do not interleave.
printf '%s\n' "$relpath" >> "$base/.git/commit_queue.txt"
echo "Created: $relpath"
