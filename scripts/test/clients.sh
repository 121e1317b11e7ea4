#!/usr/bin/env bash
# The real V2 clients test (a step of scripts/test/all.sh): Triton's tritonclient (HTTP,
# HTTP asyncio, gRPC) and KServe's REST and gRPC clients, pinned in
# scripts/test/clients_requirements.txt and installed once (wheels only) into
# .cache/venv-clients, drive the real `host` binary on 127.0.0.1 with their default settings:
# health, metadata, the golden cases with exact bits, a classifier, compression, errors
# (scripts/test/clients_triton_check.py, clients_kserve_check.py: one process each, their
# protobuf modules clash). Two servers: the embedded regressor and a zoo classifier. Then
# the Spin component under `wasmtime serve` with tritonclient.http: the checks of the
# surface it shares with host (its route table; no compression or gRPC there).
# usage: scripts/test/clients.sh [check options, e.g. --only gzip --verbose]
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh
# shellcheck source=scripts/lib/node_tools.sh
source scripts/lib/node_tools.sh
# shellcheck source=scripts/lib/wasmtime.sh
source scripts/lib/wasmtime.sh
# shellcheck source=scripts/lib/pinned_venv.sh
source scripts/lib/pinned_venv.sh

CLIENTS_PYTHON_VERSION=3.12.1
CLASSIFIER=model_data/zoo/sklearn-1.9/decision_tree_classifier_str.model.json

# clients_venv: builds (once; again when the pins or the Python change) .cache/venv-clients
# and sets CLIENTS_PY to its python.
clients_venv() {
    local py="${PYENV_ROOT:-$HOME/.pyenv}/versions/$CLIENTS_PYTHON_VERSION/bin/python"
    [ -x "$py" ] || { echo "clients_venv: need Python $CLIENTS_PYTHON_VERSION ($py; pyenv install $CLIENTS_PYTHON_VERSION)" >&2; return 1; }
    pinned_venv venv-clients "$py" scripts/test/clients_requirements.txt
    CLIENTS_PY=$PINNED_PY
}

# wait_tcp PORT LOG [S]: until something accepts TCP connections on 127.0.0.1:PORT.
wait_tcp() {
    local port=$1 log=$2 deadline=$((SECONDS + ${3:-30}))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            echo "FAIL: nothing listens on 127.0.0.1:$port after ${3:-30} s; the server's log:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.2
    done
}

started=$SECONDS
clients_venv
echo "--- venv: $("$CLIENTS_PY" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ["tritonclient", "kserve", "grpcio", "numpy"]))') ($((SECONDS - started)) s)"

cargo build -q -p host
host="${CARGO_TARGET_DIR:-target}/debug/host"
http_port=$(free_port)
classifier_port=$(free_port)
grpc_port=$(free_port)
classifier_grpc_port=$(free_port)
grpc="127.0.0.1:$grpc_port" classifier_grpc="127.0.0.1:$classifier_grpc_port"

start_servers
serve regressor "$host" serve --listen "127.0.0.1:$http_port" --grpc-listen "$grpc"
serve classifier "$host" serve --listen "127.0.0.1:$classifier_port" --model "$CLASSIFIER" \
    --grpc-listen "$classifier_grpc"
wait_for "http://127.0.0.1:$http_port/v2/health/ready" "$SERVER_LOGS/regressor.log"
wait_for "http://127.0.0.1:$classifier_port/v2/health/ready" "$SERVER_LOGS/classifier.log"
wait_tcp "$grpc_port" "$SERVER_LOGS/regressor.log"
wait_tcp "$classifier_grpc_port" "$SERVER_LOGS/classifier.log"

echo "--- the clients against host (HTTP 127.0.0.1:$http_port, gRPC $grpc; classifier $classifier_port, $classifier_grpc)"
checks=$SECONDS
status=0
for suite in triton kserve; do
    echo "--- $suite"
    timeout 300 "$CLIENTS_PY" "scripts/test/clients_${suite}_check.py" \
        --http "127.0.0.1:$http_port" --grpc "$grpc" \
        --classifier-http "127.0.0.1:$classifier_port" --classifier-grpc "$classifier_grpc" \
        --classifier-model "$CLASSIFIER" "$@" || status=1
done

echo "--- the Spin component under wasmtime serve, tritonclient.http"
ensure_node_tools
ensure_wasmtime
component=$(bash scripts/build/edge.sh)
edge_port=$(free_port)
# -S cli: the component imports wasi:cli (environment, stdio) beside wasi:http.
serve edge "$WASMTIME" serve -S cli --addr "127.0.0.1:$edge_port" "$component"
wait_for "http://127.0.0.1:$edge_port/v2/health/ready" "$SERVER_LOGS/edge.log"
timeout 300 "$CLIENTS_PY" scripts/test/clients_triton_check.py --edge \
    --http "127.0.0.1:$edge_port" --grpc none --classifier-http none --classifier-grpc none \
    --classifier-model "$CLASSIFIER" "$@" || status=1
echo "--- clients: checks $((SECONDS - checks)) s, whole step $((SECONDS - started)) s"
exit "$status"
