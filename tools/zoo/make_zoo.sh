#!/usr/bin/env bash
# Regenerates model_data/zoo/: builds one pinned venv per scikit-learn line in .cache/venv-zoo-<line>
# (wheels only), runs tools/zoo/make_zoo.py in each, exports every pickle to its committed v2
# <name>.model.json with the ONE exporter env (.cache/venv-tools, built by tools/check_export.sh), and
# checks the exports in the line's own env (tools/zoo/verify_zoo.py). Usage: make_zoo.sh [LINE...] (default: all).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$ROOT/.cache"
CACHE="$(cd "$ROOT/.cache" && pwd -P)"
# line -> Python used for it (pyenv); requirements in tools/zoo/requirements-sklearn-<line>.txt
declare -A PY=([0.20]=3.7.16 [1.0]=3.10.13 [1.3]=3.11.7 [1.9]=3.13.0)
LINES=("$@")
[ ${#LINES[@]} -gt 0 ] || LINES=(0.20 1.0 1.3 1.9)
for line in "${LINES[@]}"; do
    req="$ROOT/tools/zoo/requirements-sklearn-$line.txt"
    py="${PYENV_ROOT:-$HOME/.pyenv}/versions/${PY[$line]}/bin/python"
    [ -x "$py" ] || { echo "make_zoo.sh: need Python ${PY[$line]} for scikit-learn $line ($py)" >&2; exit 1; }
    venv="$CACHE/venv-zoo-$line"
    want="$( { cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
        echo "make_zoo.sh: building $venv with $py" >&2
        rm -rf "$venv"
        "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$req"
        echo "$want" > "$venv/.requirements.sha256"
    fi
    (cd "$ROOT" && "$venv/bin/python" tools/zoo/make_zoo.py)
    tools_py="$CACHE/venv-tools/bin/python"
    [ -x "$tools_py" ] || { echo "make_zoo.sh: run tools/check_export.sh once first (builds $CACHE/venv-tools)" >&2; exit 1; }
    for pkl in "$ROOT/model_data/zoo/sklearn-$line"/*.joblib; do
        "$tools_py" "$ROOT/tools/export_model.py" "$pkl" -o "${pkl%.joblib}.model.json" --format-version 2
    done
    (cd "$ROOT" && "$venv/bin/python" tools/zoo/verify_zoo.py "sklearn-$line")
done
