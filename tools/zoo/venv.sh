# shellcheck shell=bash
# Sourced by tools/zoo/make_zoo.sh and scripts/bench/zoo.sh: `zoo_venv LINE` builds (once, wheels only) the
# pinned env of scikit-learn LINE in .cache/venv-zoo-<LINE> from tools/zoo/requirements-sklearn-<LINE>.txt
# and sets ZOO_PY to its python.
declare -A ZOO_PYTHON=([0.20]=3.7.16 [1.0]=3.10.13 [1.3]=3.11.7 [1.9]=3.13.0)

zoo_venv() {
    local line="$1" root req py venv want
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    req="$root/tools/zoo/requirements-sklearn-$line.txt"
    py="${PYENV_ROOT:-$HOME/.pyenv}/versions/${ZOO_PYTHON[$line]}/bin/python"
    [ -x "$py" ] || { echo "zoo_venv: need Python ${ZOO_PYTHON[$line]} for scikit-learn $line ($py)" >&2; return 1; }
    mkdir -p "$root/.cache"
    venv="$(cd "$root/.cache" && pwd -P)/venv-zoo-$line"
    want="$( { cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
        echo "zoo_venv: building $venv with $py" >&2
        rm -rf "$venv"
        "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$req"
        echo "$want" > "$venv/.requirements.sha256"
    fi
    # shellcheck disable=SC2034 # read by the scripts that source this file
    ZOO_PY="$venv/bin/python"
}
