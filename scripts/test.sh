#!/usr/bin/env bash
# The project's one test command (README: `make test`): every check, in order, each a
# script that installs what it needs into .cache/ so reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=0
step() {
    steps=$((steps + 1))
    printf '\n=== %s ===\n' "$*"
}

step "rust toolchain and targets"
bash scripts/ensure_rust.sh

step "format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "rust tests"
cargo test --workspace

step "no_std core for wasm32-unknown-unknown"
cargo build -p predictor --no-default-features --target wasm32-unknown-unknown

step "fast evaluator: wasm simd128 kernel under Node WASI, bit-exact with the reference"
bash scripts/test_wasm_simd.sh

step "model export tool"
bash tools/check_export.sh

step "edge: the Spin component under wasmtime serve and jco serve, parity with the native server"
bash scripts/test_edge.sh

step "web: the wasm module in Node and headless Chromium, golden bits"
bash scripts/test_web.sh

step "container: FROM-scratch image, read-only, no capabilities; /predict, V2, HEALTHCHECK"
bash scripts/test_container.sh

step "delivery: manifests, infra, pipeline scripts (smoke test vs host, AWS flow vs moto)"
bash scripts/test_delivery.sh

echo
echo "all test steps passed"
# Every step above exits non-zero on a failure (set -e), so reaching here means all passed.
echo "steps: $steps passed, 0 failed"
