#!/usr/bin/env bash
# Regenerates model_data/golden/ with the real original stack (Python 3.7 venv .cache/venv-reference,
# built from tools/reference/requirements.txt on first use).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/tools/reference/venv.sh"
reference_venv
cd "$ROOT"
exec "$REF_PY" tools/reference/make_golden.py "$@"
