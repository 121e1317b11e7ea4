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

# Each step's wall time, printed as the next one starts and summed up at the end, so a
# slow step (a cold install, a loaded machine) shows in CI's log.
steps=0
step_names=()
step_seconds=()
step_start=$SECONDS
end_step() {
    ((steps > 0)) || return 0
    step_seconds+=($((SECONDS - step_start)))
    printf '(%s s)\n' "${step_seconds[-1]}"
}
step() {
    end_step
    steps=$((steps + 1))
    step_names+=("$*")
    step_start=$SECONDS
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

step "fuzz: every target for 10 s (cargo-fuzz, libFuzzer + AddressSanitizer), no finding"
bash scripts/fuzz.sh 10

step "no server this run started is still listening"
no_leftover_servers

echo
end_step
echo
for i in "${!step_names[@]}"; do
    printf '%6d s  %s\n' "${step_seconds[i]}" "${step_names[i]%%:*}"
done
printf '%6d s  in all\n' "$SECONDS"
echo "all test steps passed"
# Every step above exits non-zero on a failure (set -e), so reaching here means all passed.
echo "steps: $steps passed, 0 failed"
