#!/usr/bin/env bash
# The edge's per-request cost (issue 13 item 4; BENCHMARKS.md "Edge per-request cost"), run by
# scripts/bench_zoo.sh: req/s at c=64 under `wasmtime serve` (one instance per request, as Spin does;
# the local stand-in for Spin, which cannot be installed here) of, in ONE run, alternated over rounds:
#   hello-world        spin/hello, spin-sdk 5.2, a fixed JSON
#   boston             the project's component, the embedded Boston model (static data)
#   rf500 MODEL_FILE   the project's component serving DIR/edge/random_forest_500.model.json mounted with
#                      MODEL_FILE (read and parsed per request)
#   rf500 embedded     the project's component built with EDGE_PREDICTOR_MODEL=that file, parsed on the
#                      first call of each instance (EDGE_PREINIT=0: what a plain build does)
#   rf500 pre-initialized  the same build after `wasmtime wizer` (scripts/build/edge.sh's default):
#                      parsed once at build time, the parsed model in the module's data segments
#   ..., reuse 128     hello-world and the pre-initialized forest with `--max-instance-reuse-count 128`
#                      (wasmtime serve >= 48 may send a WASIp2 component's instance up to 128 requests
#                      one after another; Spin starts one per request)
# Writes one JSON line per component to DIR/edge.jsonl.
# usage: scripts/bench/edge_cost.sh DIR [--duration SECONDS] [--rounds N]   (DIR: suite.py edge-model's)
set -euo pipefail
cd "$(dirname "$0")/../.."
usage() { echo "usage: scripts/bench/edge_cost.sh DIR [--duration SECONDS] [--rounds N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
dir=$(cd "$1" && pwd)
shift
duration=10
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift ;;
        --rounds) rounds=${2:?}; shift ;;
        *) usage ;;
    esac
    shift
done
model="$dir/edge/random_forest_500.model.json"
[ -f "$model" ] || { echo "edge_cost.sh: $model is missing (suite.py edge-model $dir)" >&2; exit 1; }
target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/edge-cost"
mkdir -p "$out"

# shellcheck source=scripts/lib/wasmtime.sh
source scripts/lib/wasmtime.sh
ensure_wasmtime
# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
ensure_node_tools
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

echo "edge_cost: building the components" >&2
cargo build --manifest-path spin/hello/Cargo.toml --release --target wasm32-wasip1 >&2
cargo run -q --release -p wasi-adapter -- "$out/adapter.wasm" >&2
"${JCO[@]}" new "$target_dir/wasm32-wasip1/release/predictor_spin_hello.wasm" \
    --adapt "wasi_snapshot_preview1=$out/adapter.wasm" -o "$out/hello.component.wasm" >&2
cp "$(bash scripts/build/edge.sh)" "$out/boston.component.wasm"
cp "$(EDGE_PREDICTOR_MODEL="$model" EDGE_PREINIT=0 bash scripts/build/edge.sh)" "$out/rf500-embedded.component.wasm"
cp "$(EDGE_PREDICTOR_MODEL="$model" bash scripts/build/edge.sh)" "$out/rf500-preinit.component.wasm"
# Leave the default build behind (the Boston model), as the other scripts expect.
bash scripts/build/edge.sh >/dev/null

boston_body='{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}'
rf_body=$(cat "$dir/edge/request.json")
rf_expected=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["prediction"]))' "$dir/edge/expected.json")

# name | component | body | expected answer (prefix) | extra wasmtime flags
components=(
    "hello-world|hello|$boston_body|{\"hello\":\"world\"}|"
    "boston|boston|$boston_body|{\"prediction\":[25.0021457871835]}|"
    "rf500 MODEL_FILE|boston|$rf_body|{\"prediction\":$rf_expected}|--dir $dir/edge::/models --env MODEL_FILE=/models/random_forest_500.model.json"
    "rf500 embedded|rf500-embedded|$rf_body|{\"prediction\":$rf_expected}|"
    "rf500 pre-initialized|rf500-preinit|$rf_body|{\"prediction\":$rf_expected}|"
    "hello-world, reuse 128|hello|$boston_body|{\"hello\":\"world\"}|--max-instance-reuse-count 128"
    "rf500 pre-initialized, reuse 128|rf500-preinit|$rf_body|{\"prediction\":$rf_expected}|--max-instance-reuse-count 128"
)

# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh
start_servers
results="$out/runs.txt"
: >"$results"
for round in $(seq "$rounds"); do
    for entry in "${components[@]}"; do
        IFS='|' read -r name file body expected flags <<<"$entry"
        port=$(free_port)
        # shellcheck disable=SC2086 # flags are words
        serve "$name" "$WASMTIME" serve -S cli $flags --addr "127.0.0.1:$port" "$out/$file.component.wasm"
        pid=$SERVER_PID
        wait_for "http://127.0.0.1:$port/" "$SERVER_LOGS/$name.log" 120
        answer=$(curl -fsS -XPOST "http://127.0.0.1:$port/predict" -H 'Content-Type: application/json' -d "$body" | tr -d ' \n')
        [ "$answer" = "$expected" ] || { echo "edge_cost: $name answered $answer, expected $expected" >&2; exit 1; }
        lua="$out/$file.lua"
        python3 - "$body" >"$lua" <<'PY'
import json, sys
print('wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"' % json.dumps(sys.argv[1]))
PY
        wrk -t2 -c64 -d"${duration}s" --latency -s "$lua" "http://127.0.0.1:$port/predict" >"$out/wrk.txt"
        stop_server "$pid"
        rps=$(awk '/^Requests\/sec/ {print $2}' "$out/wrk.txt")
        p50=$(awk '$1 == "50%" {print $2}' "$out/wrk.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$out/wrk.txt")
        non2xx=$(awk '/Non-2xx/ {print $NF}' "$out/wrk.txt")
        echo "edge_cost: round $round $name: $rps req/s (p50 $p50, p99 $p99, non-2xx ${non2xx:-0})" >&2
        printf '%s|%s|%s|%s|%s|%s\n' "$name" "$file" "$rps" "$p50" "$p99" "${non2xx:-0}" >>"$results"
    done
done

python3 - "$results" "$out" "$dir/edge.jsonl" "$("$WASMTIME" --version)" "$duration" "$model" <<'PY'
import json, os, sys
results, out, dest, host, duration, model = sys.argv[1:]
runs = {}
for line in open(results):
    name, file, rps, p50, p99, non2xx = line.rstrip("\n").split("|")
    r = runs.setdefault(name, dict(component=name, file=file, rps=[], p50=[], p99=[], non2xx=0))
    r["rps"].append(float(rps)); r["p50"].append(p50); r["p99"].append(p99); r["non2xx"] += int(non2xx)
expected = json.load(open(os.path.join(os.path.dirname(model), "expected.json")))
rf = "random forest, %d trees, max_depth %d, %s nodes" % (expected["n_trees"], expected["max_depth"],
                                                          format(expected["n_nodes"], ","))
models = {"hello-world": "none (fixed JSON)", "boston": "Boston GradientBoostingRegressor, static data",
          "rf500 MODEL_FILE": rf + ", MODEL_FILE (%.1f MB JSON)" % (os.path.getsize(model) / 1e6),
          "rf500 embedded": rf + ", embedded, parsed per instance",
          "rf500 pre-initialized": rf + ", embedded, parsed at build time (wasmtime wizer)",
          "hello-world, reuse 128": "none; an instance serves up to 128 requests",
          "rf500 pre-initialized, reuse 128": rf + ", pre-initialized; an instance serves up to 128 requests"}
with open(dest, "w") as f:
    for r in runs.values():
        mid = sorted(range(len(r["rps"])), key=lambda i: r["rps"][i])[len(r["rps"]) // 2]
        f.write(json.dumps(dict(component=r["component"], model=models[r["component"]], rps=r["rps"],
                                p50=r["p50"][mid], p99=r["p99"][mid], non2xx=r["non2xx"],
                                module_bytes=os.path.getsize(os.path.join(out, r["file"] + ".component.wasm")),
                                host=host.strip() + " serve -S cli",
                                load="wrk -t2 -c64 -d%ss, POST /predict with one row, rounds alternated" % duration))
                + "\n")
PY
echo "edge_cost: wrote $dir/edge.jsonl" >&2
