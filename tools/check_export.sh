#!/usr/bin/env bash
# Builds (or reuses) the Python 3.11 venv of the model export tool in .cache/venv-tools and runs
# its tests (tools/test_export.py); called from the project's test command.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The physical path (.ci/run links .cache to a cache that outlives the clone).
mkdir -p "$ROOT/.cache"
VENV="$(cd "$ROOT/.cache" && pwd -P)/venv-tools"
REQ="$ROOT/tools/requirements.txt"

pick_python() {
    local c
    for c in "${PYTHON:-}" "$HOME/.pyenv/versions/3.11.7/bin/python" python3.11 python3.12 python3; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 &&
           "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
            echo "$c"; return 0
        fi
    done
    echo "check_export.sh: need Python >= 3.10 (set PYTHON=...)" >&2
    return 1
}

PY="$(pick_python)"
STAMP_WANT="$( { cat "$REQ"; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
STAMP_FILE="$VENV/.requirements.sha256"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP_FILE" 2>/dev/null)" != "$STAMP_WANT" ]; then
    echo "check_export.sh: building $VENV with $PY" >&2
    rm -rf "$VENV"
    mkdir -p "$ROOT/.cache"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
    echo "$STAMP_WANT" > "$STAMP_FILE"
fi

cd "$ROOT"
# the Python tests of tools/ (top level only: tools/node, tools/wasi-adapter etc. are not Python)
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider tools/test_*.py "$@"
