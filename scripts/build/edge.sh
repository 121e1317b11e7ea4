#!/usr/bin/env bash
# Builds the edge component: the `predictor-spin` crate (spin/) for wasm32-wasip1 with
# spin.toml's own build command (what `spin build` makes), then adapts it with wasmtime's
# preview1 reactor adapter (wasi:filesystem included, for `MODEL_FILE`) into a plain
# wasi:http component that `jco serve` / `wasmtime serve` run without Spin. With a model file
# embedded (EDGE_PREDICTOR_MODEL) the module is pre-initialized first (wasmtime wizer; see below).
# usage: scripts/build/edge.sh   (prints the component's path on stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 0 ] || { echo "usage: scripts/build/edge.sh" >&2; exit 2; }

# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
ensure_node_tools

target_dir="${CARGO_TARGET_DIR:-target}"
out_dir="$target_dir/edge"
mkdir -p "$out_dir"

# Exactly what `spin build` runs: spin.toml's [component.predictor.build] command, and the
# module must then be where its `source` says (under $CARGO_TARGET_DIR when that is set).
manifest=$(python3 -c '
import tomllib
component = tomllib.load(open("spin.toml", "rb"))["component"]["predictor"]
print(component["build"]["command"])
print(component["source"])')
build_command=$(sed -n 1p <<<"$manifest")
source_path=$(sed -n 2p <<<"$manifest")
echo "spin.toml build command: $build_command" >&2
bash -c "$build_command" >&2
module="$target_dir/${source_path#target/}"
[ -f "$module" ] || { echo "spin.toml's source $source_path was not built ($module is missing)" >&2; exit 1; }

# A model file embedded (EDGE_PREDICTOR_MODEL) is parsed on an instance's first call, and Spin
# starts an instance per request: pre-initialize the module (wasmtime wizer runs the
# component's `wizer.initialize`, which parses it, and snapshots the instance), so the parsed
# model ships as data. EDGE_PREINIT=0 skips it (the per-request parse, for the benchmark).
# The Boston model is static data already: nothing to pre-initialize.
if [ -n "${EDGE_PREDICTOR_MODEL:-}" ] && [ "${EDGE_PREINIT:-1}" = 1 ]; then
    # shellcheck source=scripts/lib/wasmtime.sh
    source scripts/lib/wasmtime.sh
    ensure_wasmtime
    "$WASMTIME" wizer -W unknown-imports-trap=y --init-func wizer.initialize -o "$out_dir/predictor.preinit.wasm" "$module" >&2
    module="$out_dir/predictor.preinit.wasm"
fi

cargo run -q --release -p wasi-adapter -- "$out_dir/wasi_snapshot_preview1.reactor.wasm" >&2
component="$out_dir/predictor.component.wasm"
"${JCO[@]}" new "$module" \
    --adapt "wasi_snapshot_preview1=$out_dir/wasi_snapshot_preview1.reactor.wasm" \
    -o "$component" >&2
echo "$component"
