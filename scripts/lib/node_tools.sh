# Installs the pinned Node dev tools (tools/node/package.json + lockfile: jco, binaryen)
# into .cache/node-tools-<lock hash>/ once, so the edge and web scripts rerun fast.
# shellcheck shell=bash
# usage: source scripts/lib/node_tools.sh; ensure_node_tools  (sets NODE_TOOLS, JCO, WASM_OPT)

ensure_node_tools() {
    local root lock_hash
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    command -v node >/dev/null || { echo "node (>= 18) is required" >&2; return 1; }
    lock_hash=$(sha256sum "$root/tools/node/package-lock.json" | cut -c1-12)
    NODE_TOOLS="$root/.cache/node-tools-$lock_hash"
    if [ ! -f "$NODE_TOOLS/.installed" ]; then
        echo "installing Node tools into $NODE_TOOLS" >&2
        rm -rf "$NODE_TOOLS"
        mkdir -p "$NODE_TOOLS"
        cp "$root/tools/node/package.json" "$root/tools/node/package-lock.json" "$NODE_TOOLS/"
        (cd "$NODE_TOOLS" && npm ci --no-audit --no-fund --loglevel=error >&2)
        touch "$NODE_TOOLS/.installed"
    fi
    # The entry points themselves (not npx), so a server started from them has its own PID.
    # shellcheck disable=SC2034 # used by the scripts that source this file
    JCO=("node" "$NODE_TOOLS/node_modules/@bytecodealliance/jco/dist/jco.js")
    WASM_OPT="$NODE_TOOLS/node_modules/binaryen/bin/wasm-opt"
    export NODE_TOOLS WASM_OPT
}
