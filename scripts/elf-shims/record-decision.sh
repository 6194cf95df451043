#!/usr/bin/env bash
# Drop-in for ELF's scripts/record-decision.sh: the same flags and DECISION_* environment variables,
# recorded through ElfActors' `elf record-decision`.
#
#   record-decision.sh --title T --context C --decision D --rationale R [--options O] [--domain D] [--files a,b] [--tests x,y]
#
# Exit codes are elf's: 0 recorded, 2 invalid input (nothing written), 3 no host reachable, 1 other failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_elf-shim-common.sh"

declare -A value=()
while [ $# -gt 0 ]; do
    case "$1" in
        --title|--context|--options|--decision|--rationale|--domain|--files|--tests) value["$1"]="${2-}"; shift 2 || shift ;;
        *) shift ;; # ELF skipped unknown arguments
    esac
done

args=(record-decision)
while IFS= read -r line; do args+=("$line"); done < <(elf_shim_base_args "${BASH_SOURCE[0]}")
for flag in --title --context --options --decision --rationale --domain --files --tests; do
    [ -n "${value[$flag]-}" ] && args+=("$flag" "${value[$flag]}")
done
exec "$(elf_shim_find_elf)" "${args[@]}"
