#!/usr/bin/env bash
# Builds the edge component: the `spin` feature for wasm32-wasip1 (what `spin build` makes),
# then adapts it with wasmtime's preview1 proxy adapter into a plain wasi:http component
# that `jco serve` / `wasmtime serve` run without Spin.
# usage: scripts/build_edge.sh   (prints the component's path on stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 0 ] || { echo "usage: scripts/build_edge.sh" >&2; exit 2; }

# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
ensure_node_tools

target_dir="${CARGO_TARGET_DIR:-target}"
out_dir="$target_dir/edge"
mkdir -p "$out_dir"

# The same command spin.toml's [component.predictor.build] runs.
cargo build -p predictor --release --target wasm32-wasip1 --no-default-features --features spin >&2
module="$target_dir/wasm32-wasip1/release/predictor.wasm"

cargo run -q --release -p wasi-adapter -- "$out_dir/wasi_snapshot_preview1.proxy.wasm" >&2
component="$out_dir/predictor.component.wasm"
"${JCO[@]}" new "$module" \
    --adapt "wasi_snapshot_preview1=$out_dir/wasi_snapshot_preview1.proxy.wasm" \
    -o "$component" >&2
echo "$component"
