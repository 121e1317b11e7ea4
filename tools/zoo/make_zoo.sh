#!/usr/bin/env bash
# Regenerates model_data/zoo/: builds one pinned venv per scikit-learn line in .cache/venv-zoo-<line>
# (wheels only), runs tools/zoo/make_zoo.py in each, exports every pickle to its committed v2
# <name>.model.json with the ONE exporter env (.cache/venv-tools, built by tools/check_export.sh), and
# checks the exports in the line's own env (tools/zoo/verify_zoo.py). Usage: make_zoo.sh [LINE...] (default: all).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$ROOT/.cache"
CACHE="$(cd "$ROOT/.cache" && pwd -P)"
source "$ROOT/tools/zoo/venv.sh"
LINES=("$@")
[ ${#LINES[@]} -gt 0 ] || LINES=(0.20 1.0 1.3 1.9)
for line in "${LINES[@]}"; do
    zoo_venv "$line"
    venv="$(dirname "$(dirname "$ZOO_PY")")"
    (cd "$ROOT" && "$venv/bin/python" tools/zoo/make_zoo.py)
    tools_py="$CACHE/venv-tools/bin/python"
    [ -x "$tools_py" ] || { echo "make_zoo.sh: run tools/check_export.sh once first (builds $CACHE/venv-tools)" >&2; exit 1; }
    for pkl in "$ROOT/model_data/zoo/sklearn-$line"/*.joblib; do
        "$tools_py" "$ROOT/tools/export_model.py" "$pkl" -o "${pkl%.joblib}.model.json" --format-version 2
    done
    (cd "$ROOT" && "$venv/bin/python" tools/zoo/verify_zoo.py "sklearn-$line")
done
