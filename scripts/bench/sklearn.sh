#!/usr/bin/env bash
# Benchmarks the original stack in-process (scikit-learn 0.20.3 predict on 1 row and 100k rows, and the
# original per-request pipeline) in .cache/venv-reference; BENCH_QUICK=1 for a short run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/tools/reference/venv.sh"
reference_venv
cd "$ROOT"
exec "$REF_PY" tools/reference/bench_sklearn.py "$@"
