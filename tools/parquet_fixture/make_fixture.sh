#!/usr/bin/env bash
# Regenerates host/tests/fixtures/boston_golden.parquet with pinned pyarrow
# (tools/parquet_fixture/requirements.txt, in .cache/venv-parquet, built once).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/pinned_venv.sh
source "$ROOT/scripts/lib/pinned_venv.sh"
PY="${PYENV_ROOT:-$HOME/.pyenv}/versions/3.11.7/bin/python"
[ -x "$PY" ] || PY=python3
pinned_venv venv-parquet "$PY" "$ROOT/tools/parquet_fixture/requirements.txt"
exec "$PINNED_PY" "$ROOT/tools/parquet_fixture/make_fixture.py"
