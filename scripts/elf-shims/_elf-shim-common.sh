# Shared by the ElfActors shims for ELF's scripts (sourced, not run).
# Finds the `elf` client and the memory the old script would have written to, runs elf and prints ELF's lines.

# ELF_BIN, else `elf` on the PATH, else next to the shims (elf adopt puts it there), else the README's install folder.
elf_shim_find_elf() {
    if [ -n "${ELF_BIN:-}" ]; then printf '%s' "$ELF_BIN"; return; fi
    if command -v elf >/dev/null 2>&1; then command -v elf; return; fi
    local here
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    if [ -x "$here/elf" ]; then printf '%s' "$here/elf"; return; fi
    if [ -x "$HOME/.local/elf/elf" ]; then printf '%s' "$HOME/.local/elf/elf"; return; fi
    echo "ERROR: the ElfActors client 'elf' was not found (set ELF_BIN, or put elf on the PATH)" >&2
    exit 1
}

# The memory: ELF's scripts wrote to the folder above their own scripts/ folder. A shim installed in their place
# does the same; anywhere else it is $ELF_BASE_PATH, else ~/.claude/emergent-learning (elf's own default).
elf_shim_base() {
    local script_dir
    script_dir="$(cd "$(dirname "$1")" && pwd)"
    if [ -z "${ELF_BASE_PATH:-}" ] && [ -d "$script_dir/../memory" ]; then
        (cd "$script_dir/.." && pwd)
    else
        printf '%s' "${ELF_BASE_PATH:-$HOME/.claude/emergent-learning}"
    fi
}

# ELF's argument loop and its environment fallback, as each of ELF's record scripts has it:
#   elf_shim_arguments PREFIX FLAG[:VARIABLE] ... -- "$@"
# sets VARIABLE (by default the flag's name) from `--FLAG VALUE` (the last one given; unknown arguments are skipped, a
# flag without its value leaves it empty), then, where that left it empty, from $PREFIX_FLAG (upper case).
elf_shim_arguments() {
    local _elf_prefix="$1" _elf_spec _elf_variable _elf_environment
    local -a _elf_specs=()
    shift
    while [[ $# -gt 0 && "$1" != "--" ]]; do _elf_specs+=("$1"); shift; done
    shift || true
    for _elf_spec in "${_elf_specs[@]}"; do printf -v "${_elf_spec#*:}" '%s' ""; done
    while [[ $# -gt 0 ]]; do
        for _elf_spec in "${_elf_specs[@]}"; do
            if [[ "$1" == "--${_elf_spec%%:*}" ]]; then
                printf -v "${_elf_spec#*:}" '%s' "${2-}"
                shift
                break
            fi
        done
        shift || true
    done
    for _elf_spec in "${_elf_specs[@]}"; do
        _elf_variable="${_elf_spec#*:}"
        _elf_environment="${_elf_prefix}_${_elf_spec%%:*}"
        _elf_environment="${_elf_environment^^}"
        [ -z "${!_elf_variable}" ] && printf -v "$_elf_variable" '%s' "${!_elf_environment:-}"
    done
    return 0
}

# ELF's sanitize_input: ANSI escapes and control characters removed, CR and LF made spaces.
elf_shim_sanitize() {
    local input="$1"
    input=$(printf '%s' "$input" | sed 's/\x1b\[[0-9;]*[mGKHF]//g')
    input=$(printf '%s' "$input" | tr -d '\000-\010\013-\037\177')
    printf '%s' "$input" | tr '\r\n' '  '
}

# ELF's file-safe domain: lower-cased, spaces as '-', only letters, digits and '-', no '-' at either end, 100 chars.
elf_shim_domain() {
    local safe
    safe=$(echo "$1" | tr '[:upper:]' '[:lower:]' | tr ' ' '-' | tr -cd '[:alnum:]-')
    safe="${safe#-}"
    safe="${safe%-}"
    printf '%s' "${safe:0:100}"
}

# Runs `elf <args> --base <base> --json`; on success sets ELF_SHIM_ID and ELF_SHIM_PATH (base-relative). elf's own
# message goes to stderr as it is; any failure exits 1, as ELF's scripts do (elf itself says 2 for invalid input).
elf_shim_record() {
    local output code=0
    output=$("$(elf_shim_find_elf)" "$@" --base "$ELF_SHIM_BASE" --json) || code=$?
    if [ "$code" -ne 0 ]; then
        local message
        message=$(printf '%s' "$output" | sed -n 's/.*"message":"\([^"]*\)".*/\1/p')
        [ -n "$message" ] && echo "ERROR: $message" >&2
        exit 1
    fi
    ELF_SHIM_ID=$(printf '%s' "$output" | sed -n 's/.*"record":{"id":\([0-9]*\).*/\1/p')
    ELF_SHIM_PATH=$(printf '%s' "$output" | sed -n 's/.*"path":"\([^"]*\)".*/\1/p')
}
