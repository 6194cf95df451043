#!/usr/bin/env bash
# Drop-in for ELF's scripts/record-heuristic.sh: the same flags and environment variables, recorded through
# ElfActors' `elf record-heuristic` (one writer per domain file: concurrent appends never lose an entry).
#
#   record-heuristic.sh --domain D --rule R [--explanation E] [--source failure|success|observation] [--confidence 0.8]
#   HEURISTIC_DOMAIN=D HEURISTIC_RULE=R record-heuristic.sh
#
# Prints ELF's lines (Database record created (ID: N), Appended to: …, Heuristic recorded successfully!).
# Exit codes are elf's: 0 recorded, 2 invalid input (nothing written), 3 no host reachable, 1 other failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_elf-shim-common.sh"

domain="" rule="" explanation="" source_type="" confidence=""
while [ $# -gt 0 ]; do
    case "$1" in
        --domain) domain="${2-}"; shift 2 || shift ;;
        --rule) rule="${2-}"; shift 2 || shift ;;
        --explanation) explanation="${2-}"; shift 2 || shift ;;
        --source) source_type="${2-}"; shift 2 || shift ;;
        --confidence) confidence="${2-}"; shift 2 || shift ;;
        *) shift ;; # ELF skipped unknown arguments
    esac
done

echo "=== Record Heuristic (non-interactive) ==="
args=(record-heuristic)
while IFS= read -r line; do args+=("$line"); done < <(elf_shim_base_args "${BASH_SOURCE[0]}")
[ -n "$domain" ] && args+=(--domain "$domain")
[ -n "$rule" ] && args+=(--rule "$rule")
[ -n "$explanation" ] && args+=(--explanation "$explanation")
[ -n "$source_type" ] && args+=(--source "$source_type")
[ -n "$confidence" ] && args+=(--confidence "$confidence")
exec "$(elf_shim_find_elf)" "${args[@]}"
