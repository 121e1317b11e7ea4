#!/usr/bin/env bash
# The edge test (a step of scripts/test.sh): builds the Spin component, checks it imports
# plain wasi only, serves it with `jco serve` and the native server side by side on
# 127.0.0.1, and requires identical answers and the golden bits (scripts/edge_http_check.py).
# usage: scripts/test_edge.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 0 ] || { echo "usage: scripts/test_edge.sh" >&2; exit 2; }

# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
# shellcheck source=scripts/lib/wait_http.sh
source scripts/lib/wait_http.sh
ensure_node_tools
target_dir="${CARGO_TARGET_DIR:-target}"

echo "--- clippy for the spin feature (wasm32-wasip1)"
cargo clippy -q -p predictor --no-default-features --features spin --target wasm32-wasip1 -- -D warnings

echo "--- build the component"
component=$(bash scripts/build_edge.sh)
ls -l "$component"

echo "--- its world: plain wasi imports, the wasi:http 0.2.0 handler export"
wit=$("${JCO[@]}" wit "$component")
echo "$wit"
grep -q '^ *export wasi:http/incoming-handler@0\.2\.0;$' <<<"$wit" \
    || { echo "FAIL: no wasi:http/incoming-handler@0.2.0 export" >&2; exit 1; }
if grep -E '^ *import ' <<<"$wit" | grep -vqE '^ *import wasi:((io|random|cli|clocks)/[a-z-]+|http/types)@'; then
    echo "FAIL: the component imports something other than plain wasi" >&2
    exit 1
fi

echo "--- serve it (jco) and the native server on 127.0.0.1"
cargo build -q -p host
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
edge_port=$(free_port)
native_port=$(free_port)
logs=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$logs"
}
trap cleanup EXIT
"${JCO[@]}" serve --host 127.0.0.1 --port "$edge_port" "$component" >"$logs/edge.log" 2>&1 &
pids+=($!)
"$target_dir/debug/host" serve --listen "127.0.0.1:$native_port" >"$logs/native.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$edge_port/" "$logs/edge.log"
wait_for "http://127.0.0.1:$native_port/" "$logs/native.log"

echo "--- parity: golden cases and errors, component vs native"
python3 scripts/edge_http_check.py \
    --edge "http://127.0.0.1:$edge_port" --native "http://127.0.0.1:$native_port"
echo "edge component: OK"
