#!/usr/bin/env bash
# Builds the fast evaluators' property tests (tests/fast_paths.rs, tests/tree_kernels.rs) for
# wasm32-wasip1 with simd128 enabled and runs them under Node's built-in WASI, so the simd128 and
# compact-layout kernels are held bit-exact to the reference; and
# predictor::math's recorded C library/numpy/scipy values (tests/math_reference.rs), so exp, log
# and the link functions are held to the same bits in wasm as natively.
# usage: scripts/test/wasm_simd.sh [extra cargo test args...]
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null; then
    echo "node (>= 20, for node:wasi) is needed" >&2
    exit 1
fi
rustup target add wasm32-wasip1 >/dev/null

export CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $PWD/scripts/test/wasi_runner.mjs"
# Scoped to the wasm target so host build scripts keep their flags (and their cache).
export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="-Ctarget-feature=+simd128"
# The test asserts this kernel is the one picked, so a build without simd128 fails.
export EXPECT_KERNEL=simd128
cmd=(cargo test -p predictor --target wasm32-wasip1 --test fast_paths --test tree_kernels --test math_reference "$@" -- --test-threads=1)
echo "command: ${cmd[*]}"
"${cmd[@]}"
