#!/usr/bin/env bash
# `make bench-zoo` (issue 13): the tree-ensemble suite in ONE run. scripts/bench/suite.py trains 8 models on
# synthetic data (make_regression / make_classification, 50,000 rows, 20-40 features, fixed seeds) with the
# pinned scikit-learn 1.9.1 and exports them with tools/export_model.py; then, on one row and on 100,000 rows,
# one core each, it times this project natively (predictor/benches/suite.rs, release), scikit-learn,
# ONNX Runtime (skl2onnx), treelite + tl2cgen (gcc -O3) and treelite's GTIL, and the browser module in Node
# (scripts/bench/suite_web.mjs); every engine's answers are compared bit for bit with scikit-learn's. Then
# the edge's per-request cost (scripts/bench/edge_cost.sh: hello-world vs the project's component with a
# 500-tree forest under `wasmtime serve`). suite_report.py writes both tables into BENCHMARKS.md.
#
# The peers are pinned (scripts/bench/requirements-suite.txt, hash-checked wheels) into .cache/venv-bench-suite;
# the exporter runs in its own pinned env (.cache/venv-tools, tools/requirements.txt). Models, rows and answers
# (hundreds of MB) go to $CARGO_TARGET_DIR/bench-suite/, never into the repository; a re-run reuses them.
#
# usage: scripts/bench_zoo.sh [--quick] [--no-edge] [--no-wasm]
#   --quick    a tenth of the trees and training rows, 10,000 timed rows, a short edge run; the report goes
#              to $CARGO_TARGET_DIR/bench-suite/quick/report.md, not BENCHMARKS.md
#   SUITE_MODELS=a,b limits the models; SUITE_PEERS=scikit-learn,onnxruntime,... the peers.
# (The committed zoo of every model kind against scikit-learn, reference evaluators: make bench-kinds.)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
edge=1
wasm=1
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        --no-edge) edge=0 ;;
        --no-wasm) wasm=0 ;;
        *) echo "usage: scripts/bench_zoo.sh [--quick] [--no-edge] [--no-wasm]" >&2; exit 2 ;;
    esac
done
mode=full
flag=()
if [ "$quick" = 1 ]; then mode=quick; flag=(--quick); fi
target_dir="${CARGO_TARGET_DIR:-target}"
dir="$target_dir/bench-suite/$mode"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
py_version=3.13.0
tools_py_version=3.11.7
pyenv="${PYENV_ROOT:-$HOME/.pyenv}/versions"

# shellcheck source=scripts/lib/pinned_venv.sh
source scripts/lib/pinned_venv.sh
pinned_venv venv-bench-suite "$pyenv/$py_version/bin/python" scripts/bench/requirements-suite.txt
py=$PINNED_PY
pinned_venv venv-tools "$pyenv/$tools_py_version/bin/python" tools/requirements.txt
export SUITE_EXPORT_PY=$PINNED_PY

# One core per engine: rayon (this project), OpenMP (scikit-learn's HistGradientBoosting, treelite),
# BLAS; ONNX Runtime and tl2cgen are given one thread in code.
export RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

echo "== training and exporting the suite into $dir (once; reused while its inputs are unchanged)" >&2
OMP_NUM_THREADS=2 "$py" scripts/bench/suite.py train "$dir" "${flag[@]}"

native_cmd=(cargo bench -q -p predictor --bench suite -- "$dir" "${flag[@]}")
echo "== this project, native: RAYON_NUM_THREADS=1 ${native_cmd[*]}" >&2
"${native_cmd[@]}" >"$dir/ours.jsonl"

echo "== the peers: $py scripts/bench/suite.py peers $dir ${flag[*]}" >&2
"$py" scripts/bench/suite.py peers "$dir" "${flag[@]}"

node_version=none
if [ "$wasm" = 1 ]; then
    # --no-liftoff: V8 compiles the module with its optimizing tier up front; with its baseline tier first,
    # the optimizing compile runs in background threads while the first model is timed, in its CPU time.
    echo "== the browser module in Node: scripts/build/web.sh; node --no-liftoff scripts/bench/suite_web.mjs $dir" >&2
    bash scripts/build/web.sh >&2
    node --no-liftoff scripts/bench/suite_web.mjs "$dir" "${flag[@]}" >"$dir/wasm.jsonl"
    node_version=$(node --version)
else
    rm -f "$dir/wasm.jsonl"
fi

if [ "$edge" = 1 ]; then
    echo "== the edge per-request cost: scripts/bench/edge_cost.sh $dir" >&2
    OMP_NUM_THREADS=2 "$py" scripts/bench/suite.py edge-model "$dir" "${flag[@]}"
    edge_args=()
    [ "$quick" = 1 ] && edge_args=(--duration 3 --rounds 1)
    bash scripts/bench/edge_cost.sh "$dir" "${edge_args[@]}"
else
    rm -f "$dir/edge.jsonl"
fi

# The report quotes the load the timings ran under, not the load when it is rebuilt from these files.
cut -d' ' -f1-3 /proc/loadavg >"$dir/loadavg"

versions=$("$py" - "$node_version" <<'PY'
import sys
from importlib.metadata import version
import platform
names = ["scikit-learn", "numpy", "onnxruntime", "skl2onnx", "onnx", "treelite", "tl2cgen"]
print("; ".join(["this project: %s" % "native release build (`cargo bench` profile), `RAYON_NUM_THREADS=1`",
                 "Python %s: %s" % (platform.python_version(), ", ".join("%s %s" % (n, version(n)) for n in names)),
                 "gcc: `%s`" % __import__("subprocess").run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
                 "Node %s" % sys.argv[1]]))
PY
)
versions="$versions; $(rustc --version)"
report_args=(--out "$dir/report.md" --command "bash scripts/bench_zoo.sh${flag[*]:+ ${flag[*]}}" --versions "$versions")
[ "$quick" = 1 ] || report_args+=(--benchmarks BENCHMARKS.md)
"$py" scripts/bench/suite_report.py "$dir" "${report_args[@]}"
cat "$dir/report.md"
if [ "$quick" = 1 ]; then
    echo "bench_zoo: --quick: the report is $dir/report.md (BENCHMARKS.md unchanged)" >&2
else
    echo "bench_zoo: updated BENCHMARKS.md (Tree-ensemble suite, Edge per-request cost)" >&2
fi
