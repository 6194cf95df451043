#!/usr/bin/env bash
# Drop-in for ELF's scripts/record-failure.sh: the same flags and environment variables, recorded through
# ElfActors' `elf record-failure` (one host per memory, batched git commits, nothing lost under concurrency).
#
#   record-failure.sh --title T --domain D [--severity 1-5|low|medium|high|critical] [--tags a,b] [--summary S]
#   FAILURE_TITLE=T FAILURE_DOMAIN=D record-failure.sh
#
# Prints ELF's lines (Created: …, Database record created (ID: N), Failure recorded successfully!).
# Exit codes are elf's: 0 recorded, 2 invalid input (nothing written), 3 no host reachable, 1 other failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_elf-shim-common.sh"

title="" domain="" severity="" tags="" summary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --title) title="${2-}"; shift 2 || shift ;;
        --domain) domain="${2-}"; shift 2 || shift ;;
        --severity) severity="${2-}"; shift 2 || shift ;;
        --tags) tags="${2-}"; shift 2 || shift ;;
        --summary) summary="${2-}"; shift 2 || shift ;;
        *) shift ;; # ELF skipped unknown arguments
    esac
done

# As in ELF, an empty flag falls back to its environment variable (elf reads FAILURE_* itself).
args=(record-failure)
while IFS= read -r line; do args+=("$line"); done < <(elf_shim_base_args "${BASH_SOURCE[0]}")
[ -n "$title" ] && args+=(--title "$title")
[ -n "$domain" ] && args+=(--domain "$domain")
[ -n "$severity" ] && args+=(--severity "$severity")
[ -n "$tags" ] && args+=(--tags "$tags")
[ -n "$summary" ] && args+=(--summary "$summary")
exec "$(elf_shim_find_elf)" "${args[@]}"
