#!/usr/bin/env bash
# The seed's background worker for option-b: read the next 10 queued paths, take the git lock, git add
# them all, one commit, release, loop. It stops once the file BASE/.git/commit_queue.stop exists and the
# queue is drained. Usage: BASE
set -uo pipefail
base=$1
queue="$base/.git/commit_queue.txt"
done_count=0
touch "$queue"
cd "$base"
while :; do
  # Whole lines only: a writer may be half-way through its line.
  complete=$(wc -l < "$queue")
  take=$(( complete - done_count < 10 ? complete - done_count : 10 ))
  batch=()
  [ "$take" -gt 0 ] && mapfile -t batch < <(tail -n +"$((done_count + 1))" "$queue" | head -n "$take")
  if [ "${#batch[@]}" -eq 0 ]; then
    [ -e "$base/.git/commit_queue.stop" ] && exit 0
    sleep 0.1
    continue
  fi
  (
    flock 9
    git add -- "${batch[@]}" && git -c user.name=seed -c user.email=seed@localhost commit -q -m "failures: ${#batch[@]} queued records" -- "${batch[@]}"
  ) 9>"$base/.git/elf-seed.lock" || { sleep 0.5; continue; }  # the worker retries until it succeeds
  done_count=$((done_count + ${#batch[@]}))
done
