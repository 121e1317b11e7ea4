#!/usr/bin/env bash
# Builds (or reuses) the original stack's Python 3.7 venv (.cache/venv-reference) and runs the original
# Flask service reference/app.py in the foreground on 127.0.0.1:$PORT (default 8080); used by load benchmarks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/reference/venv.sh
source "$ROOT/tools/reference/venv.sh"
reference_venv   # sets REF_PY

export PORT="${PORT:-8080}"
export HOST="${HOST:-127.0.0.1}"
export MODEL_PATH="${MODEL_PATH:-$ROOT/model_data/boston_housing_prediction.joblib}"
echo "run_original.sh: original Flask service on http://$HOST:$PORT (model $MODEL_PATH)" >&2
cd "$ROOT"
exec "$REF_PY" "$ROOT/reference/app.py"
