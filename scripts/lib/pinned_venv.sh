# shellcheck shell=bash
# One way to build a cached, pinned Python environment, for every script that needs one
# (the real V2 clients, the scikit-learn zoo lines, the original service's stack).
# usage: source scripts/lib/pinned_venv.sh; pinned_venv NAME PYTHON REQUIREMENTS
#   builds .cache/NAME with the interpreter PYTHON from REQUIREMENTS (wheels only), once,
#   and again when the pins or the interpreter change; sets PINNED_PY to its python.

pinned_venv() {
    local name=$1 py=$2 req=$3 root venv want
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    mkdir -p "$root/.cache"
    # The physical path (.ci/run links .cache to a cache that outlives the clone).
    venv="$(cd "$root/.cache" && pwd -P)/$name"
    want="$( { cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
        echo "pinned_venv: building $venv with $py" >&2
        rm -rf "$venv"
        "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$req"
        echo "$want" > "$venv/.requirements.sha256"
    fi
    # shellcheck disable=SC2034 # read by the scripts that call this
    PINNED_PY="$venv/bin/python"
}
