#!/usr/bin/env bash
# Drop-in for ELF's scripts/record-heuristic.sh, recorded through ElfActors' `elf record-heuristic` (one writer per
# domain file, nothing lost under concurrency). Behaves as ELF's script does (docs/elf-compatibility.md):
#
#   record-heuristic.sh --domain D --rule R [--explanation E] [--source S] [--confidence 0..1|low|medium|high]
#   HEURISTIC_DOMAIN=D HEURISTIC_RULE=R record-heuristic.sh
#
# ELF's coercions: confidence default 0.7; low|medium|high are 0.3|0.6|0.85; anything else that is not 0, 0.x, 1 or
# 1.0 is 0.7; the domain is lower-cased with spaces as '-'. Called bare without a terminal: ELF's usage, exit 0.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_elf-shim-common.sh"
ELF_SHIM_BASE="$(elf_shim_base "${BASH_SOURCE[0]}")"

elf_shim_arguments HEURISTIC domain rule explanation source:source_type confidence -- "$@"

if [ -n "$domain" ] && [ -n "$rule" ]; then
    source_type="${source_type:-observation}"
    if [ -z "$confidence" ]; then
        confidence="0.7"
    elif [[ "$confidence" =~ ^[0-9]*\.?[0-9]+$ ]]; then
        :
    else
        case "$confidence" in
            low) confidence="0.3" ;;
            medium) confidence="0.6" ;;
            high) confidence="0.85" ;;
            *) confidence="0.7" ;;
        esac
    fi
    if ! [[ "$confidence" =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]]; then
        confidence="0.7"
    fi
    echo "=== Record Heuristic (non-interactive) ==="
elif [ ! -t 0 ]; then
    echo "Usage (non-interactive):"
    echo "  $0 --domain \"domain\" --rule \"the heuristic rule\""
    echo "  Optional: --explanation \"why\" --source failure|success|observation --confidence 0.8"
    echo ""
    echo "Or set environment variables:"
    echo "  HEURISTIC_DOMAIN=\"domain\" HEURISTIC_RULE=\"rule\" $0"
    exit 0
else
    echo "=== Record Heuristic ==="
    echo ""
    read -r -p "Domain: " domain; [ -z "$domain" ] && exit 1
    read -r -p "Rule (the heuristic): " rule; [ -z "$rule" ] && exit 1
    read -r -p "Explanation: " explanation
    read -r -p "Source type (failure/success/observation): " source_type
    source_type="${source_type:-observation}"
    read -r -p "Confidence (0.0-1.0): " confidence
    confidence="${confidence:-0.5}"
fi
domain=$(elf_shim_domain "$domain")
[ -z "$domain" ] && exit 1

elf_shim_record record-heuristic --domain "$domain" --rule "$(elf_shim_sanitize "$rule")" \
    --explanation "$(elf_shim_sanitize "$explanation")" --source "$source_type" --confidence "$confidence"
echo "Database record created (ID: $ELF_SHIM_ID)"
echo "Appended to: $ELF_SHIM_BASE/$ELF_SHIM_PATH"
echo ""
echo "Heuristic recorded successfully!"
