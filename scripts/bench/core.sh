#!/usr/bin/env bash
# `make bench`: times the model core (criterion) and scikit-learn 0.20.3 in the same run,
# then rewrites the generated part of BENCHMARKS.md's "Core evaluator" section.
# usage: scripts/bench/core.sh [--quick] [--no-sklearn]   (BENCH_QUICK=1 is the same as --quick)
set -euo pipefail
cd "$(dirname "$0")/../.."

quick="${BENCH_QUICK:-0}"
sklearn=1
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        --no-sklearn) sklearn=0 ;;
        -h|--help) echo "usage: scripts/bench/core.sh [--quick] [--no-sklearn]"; exit 0 ;;
        *) echo "usage: scripts/bench/core.sh [--quick] [--no-sklearn]" >&2; exit 2 ;;
    esac
done

target_dir="${CARGO_TARGET_DIR:-target}"
out_dir="${target_dir}/bench-report"
mkdir -p "$out_dir"

echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "rustc: $(rustc --version)"

crit_args=()
if [ "$quick" = 1 ]; then
    crit_args=(--warm-up-time 1 --measurement-time 2)
fi
cmd=(cargo bench -p predictor --bench predict -- "${crit_args[@]}")
echo "command: ${cmd[*]}"
"${cmd[@]}" | tee "$out_dir/criterion.txt"

if [ "$sklearn" = 1 ]; then
    if [ ! -f scripts/bench/sklearn.sh ]; then
        echo "scripts/bench/sklearn.sh is missing" >&2
        exit 1
    fi
    sk_cmd=(bash scripts/bench/sklearn.sh)
    echo "command: BENCH_QUICK=$quick ${sk_cmd[*]}"
    BENCH_QUICK="$quick" "${sk_cmd[@]}" | tee "$out_dir/sklearn.txt"
else
    : > "$out_dir/sklearn.txt"
fi

python3 scripts/bench/report.py \
    --criterion "${target_dir}/criterion" \
    --sklearn "$out_dir/sklearn.txt" \
    --command "${cmd[*]}" \
    --benchmarks BENCHMARKS.md
echo "updated BENCHMARKS.md (Core evaluator)"
