#!/usr/bin/env bash
# Drop-in for ELF's scripts/record-failure.sh, recorded through ElfActors' `elf record-failure` (one host per
# memory, batched git commits, nothing lost under concurrency). Behaves as ELF's script does (docs/elf-compatibility.md):
#
#   record-failure.sh --title T --domain D [--severity 1-5|low|medium|high|critical] [--tags a,b] [--summary S]
#   FAILURE_TITLE=T FAILURE_DOMAIN=D record-failure.sh
#   printf 'T\nD\n4\ntags\nline 1\nline 2\n\n' | record-failure.sh      # ELF's answers on stdin
#
# ELF's coercions: an unknown severity is 3; no summary is "No summary provided"; the file keeps the summary as given,
# the row its first line after `echo -e` (so 'a\nb' stores "a"). Prints ELF's lines; exits 0 when recorded, 1 otherwise.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_elf-shim-common.sh"
ELF_SHIM_BASE="$(elf_shim_base "${BASH_SOURCE[0]}")"

elf_shim_arguments FAILURE title domain severity tags summary -- "$@"

if [ -n "$title" ] && [ -n "$domain" ]; then
    summary="${summary:-No summary provided}"
    echo "=== Record Failure (non-interactive) ==="
else
    # ELF asks, and reads the answers from stdin even when it is not a terminal.
    echo "=== Record Failure ==="
    echo ""
    read -r -p "Title: " title || true
    [ -z "$title" ] && exit 1
    read -r -p "Domain (coordination/architecture/debugging/etc): " domain || true
    [ -z "$domain" ] && exit 1
    read -r -p "Severity (1-5): " severity || true
    read -r -p "Tags (comma-separated): " tags || true
    echo "Summary (press Enter twice when done):"
    summary=""
    while IFS= read -r line; do
        [ -z "$line" ] && break
        summary="${summary}${line}\n"
    done
fi
case "$severity" in
    1|2|3|4|5) ;;
    low) severity=2 ;;
    medium) severity=3 ;;
    high) severity=4 ;;
    critical) severity=5 ;;
    *) severity=3 ;;
esac
title=$(echo "$title" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
domain=$(echo "$domain" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
[ -z "$title" ] && { echo "ERROR: Title cannot be empty" >&2; exit 1; }
[ -z "$domain" ] && { echo "ERROR: Domain cannot be empty" >&2; exit 1; }
# ELF's file keeps the summary as given; its row keeps the sanitized summary's first line after echo -e.
row_summary=$(echo -e "$(elf_shim_sanitize "$summary")" | head -n 1)

elf_shim_record record-failure --title "$(elf_shim_sanitize "$title")" --domain "$(elf_shim_sanitize "$domain")" \
    --severity "$severity" --tags "$(elf_shim_sanitize "$tags")" --summary "$summary" --row-summary "$row_summary"
echo "Created: $ELF_SHIM_BASE/$ELF_SHIM_PATH"
echo "Database record created (ID: $ELF_SHIM_ID)"
echo ""
echo "Failure recorded successfully!"
echo "Edit the full details at: $ELF_SHIM_BASE/$ELF_SHIM_PATH"
