#!/usr/bin/env bash
# The edge test (a step of scripts/test/all.sh): builds the Spin component, checks it imports
# plain wasi only, serves it with `wasmtime serve` (the reference wasi:http host) and with
# `jco serve`, each beside the native server on 127.0.0.1, and requires identical answers
# and the golden bits (scripts/test/edge_http_check.py). Then bring-your-own-model: each zoo
# model of scripts/test/edge_zoo_models.json served with MODEL_FILE under wasmtime serve
# beside `host serve --model` (same bytes, scikit-learn's outputs: edge_zoo_check.py), a
# broken MODEL_FILE (500 naming it), and a component built with a version 2 model embedded
# (EDGE_PREDICTOR_MODEL).
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

echo "--- spin.toml: valid TOML, and its commented MODEL_FILE example is valid too"
python3 - <<'PY'
import tomllib
manifest = tomllib.load(open("spin.toml", "rb"))
component = manifest["component"]["predictor"]
assert component["source"].endswith("predictor_spin.wasm") and "files" not in component
example = "\n".join(l[4:] for l in open("spin.toml") if l.startswith(("#   files =", "#   environment =")))
example = tomllib.loads(example)
assert all({"source", "destination"} <= set(f) for f in example["files"]), example
assert example["environment"]["MODEL_FILE"].startswith(example["files"][0]["destination"] + "/"), example
print(f"spin.toml OK; MODEL_FILE example: {example}")
PY

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
# wasi:filesystem: the component reads the model file MODEL_FILE names.
if grep -E '^ *import ' <<<"$wit" | grep -vqE '^ *import wasi:((io|random|cli|clocks|filesystem)/[a-z-]+|http/types)@'; then
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
serve native "$target_dir/debug/host" serve --listen "127.0.0.1:$native_port" --grpc-listen none
wait_for "http://127.0.0.1:$wasmtime_port/" "$SERVER_LOGS/wasmtime.log"
wait_for "http://127.0.0.1:$jco_port/" "$SERVER_LOGS/jco.log"
wait_for "http://127.0.0.1:$native_port/" "$SERVER_LOGS/native.log"

for host in wasmtime jco; do
    port_var="${host}_port"
    echo "--- parity under $host serve: golden cases and errors, component vs native"
    python3 scripts/test/edge_http_check.py \
        --edge "http://127.0.0.1:${!port_var}" --native "http://127.0.0.1:$native_port"
done
for host in wasmtime jco; do
    port_var="${host}_port"
    echo "--- the malformed-request table (host/tests/malformed.rs) under $host serve: native's answers"
    EDGE_URL="http://127.0.0.1:${!port_var}" cargo test -q -p host --test malformed -- --ignored
done
for pid in "${SERVER_PIDS[@]}"; do stop_server "$pid"; done
SERVER_PIDS=()

# serve_zoo_pair MODEL_FILE NATIVE_MODEL [COMPONENT]: the component (precompiled) under
# wasmtime serve with model_data/zoo mounted at /zoo and MODEL_FILE set (unless empty),
# and the native server with --model NATIVE_MODEL (unless empty); sets edge_url, native_url.
cwasm="$target_dir/edge/predictor.component.cwasm"
"$WASMTIME" compile -o "$cwasm" "$component"
serve_zoo_pair() {
    local model_file=$1 native_model=$2 served=${3:-$cwasm} port
    port=$(free_port)
    local env=()
    [ -z "$model_file" ] || env=(--env "MODEL_FILE=$model_file")
    serve zoo-edge "$WASMTIME" serve -S cli --allow-precompiled --dir model_data/zoo::/zoo \
        "${env[@]}" --addr "127.0.0.1:$port" "$served"
    edge_url="http://127.0.0.1:$port"
    wait_for "$edge_url/" "$SERVER_LOGS/zoo-edge.log"
    if [ -n "$native_model" ]; then
        port=$(free_port)
        serve zoo-native "$target_dir/debug/host" serve --listen "127.0.0.1:$port" --grpc-listen none --model "$native_model"
        native_url="http://127.0.0.1:$port"
        wait_for "$native_url/" "$SERVER_LOGS/zoo-native.log"
    fi
}
stop_zoo_pair() {
    for pid in "${SERVER_PIDS[@]}"; do stop_server "$pid"; done
    SERVER_PIDS=()
}

echo "--- MODEL_FILE under wasmtime serve: every model of scripts/test/edge_zoo_models.json"
models=$(python3 -c 'import json; print("\n".join(m["model"] for m in json.load(open("scripts/test/edge_zoo_models.json"))["models"]))')
for model in $models; do
    serve_zoo_pair "/zoo/$model.model.json" "model_data/zoo/$model.model.json"
    python3 scripts/test/edge_zoo_check.py --edge "$edge_url" --native "$native_url" --model "$model"
    stop_zoo_pair
done

echo "--- a broken MODEL_FILE answers 500 naming the file"
serve_zoo_pair /zoo/no-such.model.json ""
python3 scripts/test/edge_zoo_check.py --edge "$edge_url" --expect-error "MODEL_FILE /zoo/no-such.model.json: cannot be read"
stop_zoo_pair
serve_zoo_pair /zoo/sklearn-1.9/MANIFEST.json ""
python3 scripts/test/edge_zoo_check.py --edge "$edge_url" --expect-error "MODEL_FILE /zoo/sklearn-1.9/MANIFEST.json: invalid model: "
stop_zoo_pair

embedded_model=sklearn-1.9/random_forest_classifier_nan
echo "--- a version 2 model embedded at build time (EDGE_PREDICTOR_MODEL=$embedded_model)"
# Its own target dir, so the default component's build keeps its cache.
embedded_component=$(CARGO_TARGET_DIR="$target_dir/embedded-v2" \
    EDGE_PREDICTOR_MODEL="$PWD/model_data/zoo/$embedded_model.model.json" bash scripts/build/edge.sh)
serve_zoo_pair "" "model_data/zoo/$embedded_model.model.json" "$embedded_component"
python3 scripts/test/edge_zoo_check.py --edge "$edge_url" --native "$native_url" --model "$embedded_model"
stop_zoo_pair

echo "edge component: OK (wasmtime serve and jco serve; MODEL_FILE and an embedded version 2 model)"
