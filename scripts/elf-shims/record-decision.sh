#!/usr/bin/env bash
# Drop-in for ELF's scripts/record-decision.sh, recorded through ElfActors' `elf record-decision`. Behaves as ELF's
# script does (docs/elf-compatibility.md): the same flags and DECISION_* variables, domain "general" when none,
# lower-cased with spaces as '-'; called without the four required values and no terminal: ELF's usage, exit 0.
#
#   record-decision.sh --title T --context C --decision D --rationale R [--options O] [--domain D] [--files a,b] [--tests x,y]
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_elf-shim-common.sh"
ELF_SHIM_BASE="$(elf_shim_base "${BASH_SOURCE[0]}")"

elf_shim_arguments DECISION title context options decision rationale domain files tests -- "$@"

if [ -n "$title" ] && [ -n "$context" ] && [ -n "$decision" ] && [ -n "$rationale" ]; then
    domain="${domain:-general}"
    echo "=== Record Decision (non-interactive) ==="
elif [ ! -t 0 ]; then
    echo "Usage (non-interactive):"
    echo "  $0 --title \"Decision title\" --context \"Why needed\" --decision \"What was chosen\" --rationale \"Why chosen\""
    echo "  Optional: --options \"Options considered\" --domain \"domain\" --files \"file1,file2\" --tests \"test1,test2\""
    echo ""
    echo "Or set environment variables:"
    echo "  DECISION_TITLE=\"title\" DECISION_CONTEXT=\"context\" DECISION_DECISION=\"decision\" DECISION_RATIONALE=\"rationale\" $0"
    exit 0
else
    echo "=== Record Architecture Decision ==="
    echo ""
    read -r -p "Title: " title; [ -z "$title" ] && exit 1
    read -r -p "Context (why was this needed?): " context; [ -z "$context" ] && exit 1
    read -r -p "Options considered: " options
    read -r -p "Decision (what was chosen?): " decision; [ -z "$decision" ] && exit 1
    read -r -p "Rationale (why?): " rationale; [ -z "$rationale" ] && exit 1
    read -r -p "Domain: " domain
    domain="${domain:-general}"
fi
domain=$(elf_shim_domain "$domain")
[ -z "$domain" ] && exit 1

elf_shim_record record-decision --title "$title" --context "$context" --options "$options" --decision "$decision" \
    --rationale "$rationale" --domain "$domain" --files "$files" --tests "$tests"
echo "Database record created (ID: $ELF_SHIM_ID)"
echo "Created decision file: $ELF_SHIM_BASE/$ELF_SHIM_PATH"
echo ""
echo "Decision recorded successfully!"
echo "ADR-${ELF_SHIM_ID}: ${title}"
echo "File: $ELF_SHIM_BASE/$ELF_SHIM_PATH"
