# shellcheck shell=bash
# Sourced by scripts that need the original stack: builds/reuses .cache/venv-reference (Python 3.7 + the
# original pins in tools/reference/requirements.txt, reinstalled only when they change) and sets REF_PY.
# shellcheck source=scripts/lib/pinned_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/pinned_venv.sh"

reference_venv() {
    local root py
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    py="${PYTHON37:-$HOME/.pyenv/versions/3.7.16/bin/python}"
    if ! [ -x "$py" ]; then
        py="$(command -v python3.7 || true)"
    fi
    if [ -z "$py" ]; then
        echo "need Python 3.7 (pyenv install 3.7.16, or set PYTHON37=...)" >&2
        return 1
    fi
    pinned_venv venv-reference "$py" "$root/tools/reference/requirements.txt"
    # shellcheck disable=SC2034 # read by the scripts that source this file
    REF_PY=$PINNED_PY
}
