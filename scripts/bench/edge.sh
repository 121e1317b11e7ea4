#!/usr/bin/env bash
# The edge and browser benchmark (BENCHMARKS.md, "Edge and browser"): per-row time of the
# wasm module in Node vs the native core (1 row, 100,000 rows), and req/s at c=64 of the
# component (wasmtime serve, jco serve) vs the native server and the original service.
# usage: scripts/bench/edge.sh [--no-wasmtime] [--no-original] [--duration SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
usage() { echo "usage: scripts/bench/edge.sh [--no-wasmtime] [--no-original] [--duration SECONDS]" >&2; exit 2; }
use_wasmtime=1
use_original=1
duration=10
while [ $# -gt 0 ]; do
    case "$1" in
        --no-wasmtime) use_wasmtime=0 ;;
        --no-original) use_original=0 ;;
        --duration) duration=${2:?}; shift ;;
        *) usage ;;
    esac
    shift
done
target_dir="${CARGO_TARGET_DIR:-target}"
# shellcheck source=scripts/lib/wasmtime.sh
source scripts/lib/wasmtime.sh

echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rustc: $(rustc --version); node: $(node --version)"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ "$use_wasmtime" = 0 ] || ensure_wasmtime

echo
echo "## per-row time: wasm module in Node vs native core (Model::predict_flat, one thread)"
bash scripts/build/web.sh >/dev/null
native_cmd=(cargo run -q --release -p predictor --example rows_timing --no-default-features --features std)
wasm_cmd=(node scripts/bench/web.mjs)
rounds=5
echo "commands (alternated, $rounds rounds, medians): ${native_cmd[*]}; ${wasm_cmd[*]}"
"${native_cmd[@]}" >/dev/null  # build and warm up outside the rounds
results=()
for _ in $(seq "$rounds"); do
    results+=("$("${native_cmd[@]}")" "$("${wasm_cmd[@]}")")
done
python3 - "${results[@]}" <<'PY'
import json, statistics, sys
runs = [json.loads(a) for a in sys.argv[1:]]
native, wasm = runs[0::2], runs[1::2]
assert len({r["checksum"] for r in runs}) == 1, "native and wasm predicted different sums"
print("| case | native | wasm (Node) | wasm / native (medians) | range of per-round ratios |")
print("|---|---|---|---|---|")
for key, label, unit in [("one_row_us", "1 row per call", "us"), ("batch_100k_ns_per_row", "100,000 rows, per row", "ns")]:
    n = statistics.median(r[key] for r in native)
    w = statistics.median(r[key] for r in wasm)
    ratios = [b[key] / a[key] for a, b in zip(native, wasm)]
    print(f"| {label} | {n:.3f} {unit} | {w:.3f} {unit} | {w / n:.2f}x | {min(ratios):.2f}-{max(ratios):.2f}x |")
PY

echo
echo "## HTTP: POST /predict (README sample), wrk -t2 -c64 -d${duration}s, req/s"
component=$(bash scripts/build/edge.sh)
cargo build -q --release -p host
# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
ensure_node_tools
# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh
start_servers
logs=$SERVER_LOGS
lua=$(mktemp --suffix=.lua)
STOP_ALSO_REMOVE=("$lua")
cat >"$lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}'
wrk.headers["Content-Type"] = "application/json"
LUA
# run NAME COMMAND...: starts a server on $port, checks its answer, loads it, stops its process group.
run() {
    local name=$1; shift
    serve "$name" "$@"
    local pid=$SERVER_PID
    for _ in $(seq 1 240); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
        sleep 0.5
    done
    local answer
    answer=$(curl -fsS -XPOST "http://127.0.0.1:$port/predict" -H 'Content-Type: application/json' \
        -d '{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}') \
        || { echo "$name did not answer; log:"; cat "$logs/$name.log"; return 1; }
    answer=$(tr -d ' \n' <<<"$answer")
    wrk -t2 -c64 -d"${duration}s" --latency -s "$lua" "http://127.0.0.1:$port/predict" >"$logs/$name.wrk"
    stop_server "$pid"
    local rps p50 p99 non2xx
    rps=$(awk '/^Requests\/sec/ {print $2}' "$logs/$name.wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$logs/$name.wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$logs/$name.wrk")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$logs/$name.wrk")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "$answer"
    echo "$rps" >"$logs/$name.rps"
}
echo "| server | req/s | p50 | p99 | non-2xx | answer |"
echo "|---|---|---|---|---|---|"
port=$(free_port)
run native "$target_dir/release/host" serve --listen "127.0.0.1:$port" --grpc-listen none
if [ "$use_wasmtime" = 1 ]; then
    port=$(free_port)
    run "wasmtime serve" "$WASMTIME" serve -S cli --addr "127.0.0.1:$port" "$component"
fi
port=$(free_port)
run "jco serve" "${JCO[@]}" serve --host 127.0.0.1 --port "$port" "$component"
if [ "$use_original" = 1 ]; then
    port=$(free_port)
    run original env PORT="$port" bash scripts/dev/run_original.sh
fi
echo
for name in "wasmtime serve" "jco serve"; do
    [ -f "$logs/$name.rps" ] || continue
    [ -f "$logs/original.rps" ] && python3 -c "import sys; print(f'$name / original: {float(sys.argv[1]) / float(sys.argv[2]):.0f}x')" \
        "$(cat "$logs/$name.rps")" "$(cat "$logs/original.rps")"
    python3 -c "import sys; print(f'$name / native: {float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" \
        "$(cat "$logs/$name.rps")" "$(cat "$logs/native.rps")"
done
