# Installs wasmtime-cli (the reference wasi:http host, `wasmtime serve`) into
# .cache/tools/wasmtime-<version>/ once, for the edge test and benchmark.
# shellcheck shell=bash
# usage: source scripts/lib/wasmtime.sh; ensure_wasmtime  (sets WASMTIME)

# 48.0.8: the newest line that builds with the pinned rustc 1.95 (rust-toolchain.toml).
WASMTIME_VERSION=48.0.8

ensure_wasmtime() {
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    WASMTIME="$root/.cache/tools/wasmtime-$WASMTIME_VERSION/bin/wasmtime"
    if [ "$("$WASMTIME" --version 2>/dev/null | cut -d' ' -f2)" != "$WASMTIME_VERSION" ]; then
        echo "installing wasmtime-cli $WASMTIME_VERSION (about 10 minutes on 2 cores, once)" >&2
        cargo install wasmtime-cli --version "=$WASMTIME_VERSION" --locked \
            --root "$root/.cache/tools/wasmtime-$WASMTIME_VERSION" >&2
    fi
}
