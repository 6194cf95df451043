# Shared by the ElfActors shims for ELF's scripts (sourced, not run).
# Finds the `elf` client and the memory the old script would have written to.

# ELF_BIN, else `elf` on the PATH, else the README's install folder.
elf_shim_find_elf() {
    if [ -n "${ELF_BIN:-}" ]; then printf '%s' "$ELF_BIN"; return; fi
    if command -v elf >/dev/null 2>&1; then command -v elf; return; fi
    if [ -x "$HOME/.local/elf/elf" ]; then printf '%s' "$HOME/.local/elf/elf"; return; fi
    echo "ERROR: the ElfActors client 'elf' was not found (set ELF_BIN, or put elf on the PATH)" >&2
    exit 1
}

# ELF's scripts wrote to the folder above their own scripts/ folder. A shim installed in their place does the
# same; anywhere else (e.g. this repository) it leaves the choice to elf: $ELF_BASE_PATH, else ~/.claude/emergent-learning.
elf_shim_base_args() {
    local script_dir
    script_dir="$(cd "$(dirname "$1")" && pwd)"
    if [ -z "${ELF_BASE_PATH:-}" ] && [ -d "$script_dir/../memory" ]; then
        printf '%s\n' "--base" "$(cd "$script_dir/.." && pwd)"
    fi
}
