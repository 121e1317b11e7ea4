#!/usr/bin/env bash
# Batch scoring end to end: `host predict` (release build) on ROWS rows of the Boston
# model (the golden training rows, repeated) as CSV and as Parquet (written by the pinned
# pyarrow of tools/parquet_fixture), timed with hyperfine, with CPU time and peak RSS
# from /usr/bin/time -v. Figures go into BENCHMARKS.md ("Batch scoring").
# usage: scripts/bench/batch.sh [ROWS]   (default 1000000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROWS=${1:-1000000}
command -v hyperfine >/dev/null || { echo "batch.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "batch.sh: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cd "$ROOT"
cargo build --release -q -p host
HOST="${CARGO_TARGET_DIR:-$ROOT/target}/release/host"
CSV="$WORK/boston.csv"
python3 - "$CSV" "$ROWS" <<'PY'
import json, sys
golden = json.load(open("model_data/golden/training.json"))
lines = [",".join(repr(v) for v in row) + "\n" for row in golden["rows"]]
with open(sys.argv[1], "w") as f:
    f.write(",".join(golden["features"]) + "\n")
    for i in range(int(sys.argv[2])):
        f.write(lines[i % len(lines)])
PY
# shellcheck source=scripts/lib/pinned_venv.sh
source "$ROOT/scripts/lib/pinned_venv.sh"
PY="${PYENV_ROOT:-$HOME/.pyenv}/versions/3.11.7/bin/python"
[ -x "$PY" ] || PY=python3
pinned_venv venv-parquet "$PY" "$ROOT/tools/parquet_fixture/requirements.txt"
"$PINNED_PY" -c 'import sys, pyarrow.csv as c, pyarrow.parquet as p; p.write_table(c.read_csv(sys.argv[1]), sys.argv[2], compression="snappy")' "$CSV" "$WORK/boston.parquet"
echo "batch.sh: $ROWS rows; CSV $(stat -c %s "$CSV") bytes, Parquet $(stat -c %s "$WORK/boston.parquet") bytes" >&2
hyperfine -w 1 -r 5 -N --output=null \
    "$HOST predict $CSV" \
    "$HOST predict $WORK/boston.parquet" \
    "$HOST predict $CSV --output-file $WORK/out.parquet"
for input in "$CSV" "$WORK/boston.parquet"; do
    echo "batch.sh: /usr/bin/time -v $HOST predict $input > /dev/null" >&2
    /usr/bin/time -v "$HOST" predict "$input" 2>&1 >/dev/null |
        grep -E "User time|System time|Elapsed|Maximum resident"
done
