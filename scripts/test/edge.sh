#!/usr/bin/env bash
# The edge test (a step of scripts/test/all.sh): builds the Spin component, checks it imports
# plain wasi only, serves it with `wasmtime serve` (the reference wasi:http host) and with
# `jco serve`, each beside the native server on 127.0.0.1, and requires identical answers
# and the golden bits (scripts/test/edge_http_check.py).
# usage: scripts/test/edge.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 0 ] || { echo "usage: scripts/test/edge.sh" >&2; exit 2; }

# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh
# shellcheck source=scripts/lib/wasmtime.sh
source scripts/lib/wasmtime.sh
ensure_node_tools
ensure_wasmtime
target_dir="${CARGO_TARGET_DIR:-target}"

echo "--- clippy for the Spin component crate (wasm32-wasip1)"
cargo clippy -q -p predictor-spin --target wasm32-wasip1 -- -D warnings

echo "--- build the component"
component=$(bash scripts/build/edge.sh)
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

echo "--- serve it (wasmtime serve, jco serve) and the native server on 127.0.0.1"
cargo build -q -p host
wasmtime_port=$(free_port)
jco_port=$(free_port)
native_port=$(free_port)
start_servers
# -S cli: the component imports wasi:cli (environment, stdio) beside wasi:http.
serve wasmtime "$WASMTIME" serve -S cli --addr "127.0.0.1:$wasmtime_port" "$component"
serve jco "${JCO[@]}" serve --host 127.0.0.1 --port "$jco_port" "$component"
serve native "$target_dir/debug/host" serve --listen "127.0.0.1:$native_port"
wait_for "http://127.0.0.1:$wasmtime_port/" "$SERVER_LOGS/wasmtime.log"
wait_for "http://127.0.0.1:$jco_port/" "$SERVER_LOGS/jco.log"
wait_for "http://127.0.0.1:$native_port/" "$SERVER_LOGS/native.log"

for host in wasmtime jco; do
    port_var="${host}_port"
    echo "--- parity under $host serve: golden cases and errors, component vs native"
    python3 scripts/test/edge_http_check.py \
        --edge "http://127.0.0.1:${!port_var}" --native "http://127.0.0.1:$native_port"
done
echo "edge component: OK (wasmtime serve and jco serve)"
