#!/usr/bin/env bash
# `make bench-kinds`: every model kind of the current scikit-learn line (model_data/zoo/sklearn-1.9) in ONE run:
# this project's reference evaluators (criterion, predictor/benches/zoo.rs) and scikit-learn 1.9.1's own predict
# (scripts/bench/sklearn_zoo.py in tools/zoo's pinned env), both in process CPU time, one row and 10,000 rows;
# then rewrites the generated block of BENCHMARKS.md's "Every model kind" section.
# usage: scripts/bench/zoo.sh [--quick]   (ZOO_BENCH_MODELS=a,b limits the models)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        *) echo "usage: scripts/bench/zoo.sh [--quick]" >&2; exit 2 ;;
    esac
done
line=1.9
# shellcheck source=tools/zoo/venv.sh
source tools/zoo/venv.sh
zoo_venv "$line"
venv="$(dirname "$(dirname "$ZOO_PY")")"
target_dir="${CARGO_TARGET_DIR:-target}"
out_dir="$target_dir/bench-report"
mkdir -p "$out_dir"
crit_args=()
[ "$quick" = 1 ] && crit_args=(--warm-up-time 1 --measurement-time 2)
# One core on both sides: rayon's idle workers spin (process CPU time counts that), and
# scikit-learn runs with OMP_NUM_THREADS=1.
cmd=(cargo bench -p predictor --bench zoo -- "${crit_args[@]}")
echo "command: RAYON_NUM_THREADS=1 ${cmd[*]}"
RAYON_NUM_THREADS=1 "${cmd[@]}" | tee "$out_dir/zoo-criterion.txt"
sk_args=()
[ "$quick" = 1 ] && sk_args=(--quick)
echo "command: OMP_NUM_THREADS=1 $venv/bin/python scripts/bench/sklearn_zoo.py model_data/zoo/sklearn-$line ${sk_args[*]}"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$venv/bin/python" scripts/bench/sklearn_zoo.py "model_data/zoo/sklearn-$line" "${sk_args[@]}" \
    | tee "$out_dir/zoo-sklearn.jsonl"
python3 scripts/bench/zoo_report.py --criterion "$target_dir/criterion" --sklearn "$out_dir/zoo-sklearn.jsonl" \
    --zoo "model_data/zoo/sklearn-$line" --command "RAYON_NUM_THREADS=1 ${cmd[*]}" --benchmarks BENCHMARKS.md
echo "updated BENCHMARKS.md (Every model kind)"
