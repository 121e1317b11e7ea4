#!/usr/bin/env bash
# `make web`: builds the browser / Node module (the `predictor-web` crate, web/, for wasm32-unknown-unknown),
# runs wasm-bindgen-cli of exactly the crate's version (--target web) and binaryen's
# wasm-opt, into web/pkg/, and prints its size (wasm + JS glue, gzipped).
# usage: scripts/build/web.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 0 ] || { echo "usage: scripts/build/web.sh" >&2; exit 2; }

# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
ensure_node_tools
target_dir="${CARGO_TARGET_DIR:-target}"

# wasm-bindgen-cli must be the version Cargo.lock resolved the crate to.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$version" ] || { echo "wasm-bindgen is not in Cargo.lock" >&2; exit 1; }
tools=".cache/tools/wasm-bindgen-$version"
if [ "$("$tools/bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
    echo "installing wasm-bindgen-cli $version into $tools (a few minutes, once)" >&2
    # Not --locked: its lockfile pins a webpki-roots release crates.io no longer serves.
    # No default features: the TLS stack only serves its test runner's downloads.
    cargo install wasm-bindgen-cli --version "=$version" --no-default-features --root "$tools" >&2
fi

# simd128 selects the core's wasm SIMD kernel; every engine this targets has it (Chrome 91,
# Firefox 89, Safari 16.4, Node 16.4).
cargo build -p predictor-web --release --target wasm32-unknown-unknown \
    --config 'target.wasm32-unknown-unknown.rustflags = ["-C", "target-feature=+simd128"]' >&2
"$tools/bin/wasm-bindgen" --target web --out-dir web/pkg --out-name predictor \
    "$target_dir/wasm32-unknown-unknown/release/predictor_web.wasm"

# The features rustc 1.95 enables by default for wasm32-unknown-unknown plus simd128, named
# explicitly (binaryen's own defaults differ). -O3: size matters, but per-row speed more.
# --low-memory-unused lets -O3 fold `base + constant` into load offsets (LLVM leaves them
# as adds; the kernels' leaf sums are ~7% faster): true here, as Rust's wasm32 layout puts
# the stack at the bottom of memory growing down, so the low 1 KB is touched only by a
# stack 1 KB from overflowing, and this module's stack stays shallow.
node "$WASM_OPT" -O3 --low-memory-unused --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-multivalue --enable-reference-types --enable-simd \
    web/pkg/predictor_bg.wasm -o web/pkg/predictor_bg.wasm

wasm_gz=$(gzip -9c web/pkg/predictor_bg.wasm | wc -c)
js_gz=$(gzip -9c web/pkg/predictor.js | wc -c)
total=$((wasm_gz + js_gz))
printf 'web/pkg: predictor_bg.wasm %d bytes (%d gzipped), predictor.js %d bytes (%d gzipped); total %d bytes gzipped (%.1f KB)\n' \
    "$(wc -c <web/pkg/predictor_bg.wasm)" "$wasm_gz" "$(wc -c <web/pkg/predictor.js)" "$js_gz" \
    "$total" "$(echo "$total / 1024" | bc -l)"
# shellcheck source=scripts/build/web_budget.sh
source scripts/build/web_budget.sh
if [ "$total" -gt $((WEB_BUDGET_KB * 1024)) ]; then
    echo "note: over the $WEB_BUDGET_KB KB gzipped budget, which scripts/test/web.sh enforces" >&2
fi
