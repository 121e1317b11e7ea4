# shellcheck shell=bash
# Sourced by tools/zoo/make_zoo.sh and scripts/bench/zoo.sh: `zoo_venv LINE` builds (once, wheels only) the
# pinned env of scikit-learn LINE in .cache/venv-zoo-<LINE> from tools/zoo/requirements-sklearn-<LINE>.txt
# and sets ZOO_PY to its python.
declare -A ZOO_PYTHON=([0.20]=3.7.16 [1.0]=3.10.13 [1.3]=3.11.7 [1.9]=3.13.0)

# shellcheck source=scripts/lib/pinned_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/pinned_venv.sh"

zoo_venv() {
    local line="$1" root py
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    py="${PYENV_ROOT:-$HOME/.pyenv}/versions/${ZOO_PYTHON[$line]}/bin/python"
    [ -x "$py" ] || { echo "zoo_venv: need Python ${ZOO_PYTHON[$line]} for scikit-learn $line ($py)" >&2; return 1; }
    pinned_venv "venv-zoo-$line" "$py" "$root/tools/zoo/requirements-sklearn-$line.txt"
    # shellcheck disable=SC2034 # read by the scripts that source this file
    ZOO_PY=$PINNED_PY
}
