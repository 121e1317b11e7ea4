#!/usr/bin/env bash
# Proves scripts/deploy/smoke_test.sh passes only on the right answer: against the real `host`
# server (both scaling modes) and a stand-in for answers the host never gives.
set -euo pipefail
usage="usage: $0   (env: PYTHON [python3], CARGO_TARGET_DIR)"
[[ $# -eq 0 ]] || { echo "$usage" >&2; exit 2; }
cd "$(dirname "$0")/../../.."
# shellcheck source=scripts/lib/assert.sh
source scripts/lib/assert.sh
# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh

smoke=scripts/deploy/smoke_test.sh
python=${PYTHON:-python3}
containers=()
remove_containers() {
    for cid in "${containers[@]}"; do "${ENGINE[@]}" rm --force "$cid" >/dev/null 2>&1 || true; done
}
ON_STOP=remove_containers
start_servers

cargo build --quiet -p host
host_bin=${CARGO_TARGET_DIR:-target}/debug/host

# start_host SCALING: serves on a free port; sets $url.
start_host() {
    local port
    port=$(free_port)
    serve "host-$1" "$host_bin" serve --listen "127.0.0.1:$port" --grpc-listen none --scaling "$1"
    url=http://127.0.0.1:$port
    wait_for "$url/" "$SERVER_LOGS/host-$1.log" 30
}
start_fake() {
    local port
    port=$(free_port)
    serve "fake-$1" "$python" scripts/test/delivery/fake_predictor.py "$port" "$1"
    url=http://127.0.0.1:$port
    wait_for "$url/" "$SERVER_LOGS/fake-$1.log" 30
}
export SMOKE_INTERVAL=0.2 SMOKE_TIMEOUT=20

echo "smoke test against the real host (training scaling)"
start_host training
check "passes on the right answer (25.0021457871835)" "$smoke" "$url"
check "passes with a trailing slash in the URL" "$smoke" "$url/"
check_fails_with "fails when another value is expected" "is not numerically" env EXPECTED_PREDICTION=20.35373177134412 "$smoke" "$url"
check_fails_with "fails on the same number written differently (exact text)" "prediction text" \
    env EXPECTED_PREDICTION=25.00214578718350 "$smoke" "$url"
check_fails_with "numeric comparison catches a difference of a few ulps" "is not numerically" \
    env EXPECTED_PREDICTION=25.002145787183504 "$smoke" "$url"
start=$SECONDS
check_fails "a wrong answer fails at once (no retries until the deadline)" \
    env EXPECTED_PREDICTION=1 SMOKE_TIMEOUT=60 "$smoke" "$url"
check "  ... within 10 s (took $((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10

echo "smoke test against the real host (per-request scaling, the original's behaviour)"
start_host per-request
check_fails_with "fails on the per-request answer (20.35373177134412)" "is not numerically" "$smoke" "$url"
check "passes when that answer is expected" env EXPECTED_PREDICTION=20.35373177134412 "$smoke" "$url"

echo "smoke test against a stand-in server"
start_fake warmup
check "retries while the release warms up (503 twice, then ready)" "$smoke" "$url"
start_fake never-ready
start=$SECONDS
check_fails_with "fails when never ready before the deadline" "did not answer within" env SMOKE_TIMEOUT=2 "$smoke" "$url"
check "  ... and stops at the deadline (took $((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10
start_fake ready-false
check_fails_with "fails when ready says false" "did not answer within" env SMOKE_TIMEOUT=2 "$smoke" "$url"
start_fake predict-500
check_fails "fails when /predict keeps answering 500" env SMOKE_TIMEOUT=2 "$smoke" "$url"
start_fake text-drift
check_fails_with "fails on a reformatted number" "prediction text" "$smoke" "$url"
start_fake two-rows
check_fails_with "fails on more than one prediction" "unexpected response" "$smoke" "$url"
start_fake as-string
check_fails_with "fails on a prediction sent as a string" "unexpected response" "$smoke" "$url"
port=$(free_port)
check_fails "fails when nothing listens" env SMOKE_TIMEOUT=1 "$smoke" "http://127.0.0.1:$port"

echo "smoke test against the container image (scripts/build/image.sh)"
# shellcheck source=scripts/lib/container.sh
source scripts/lib/container.sh
# start_container ARGS...: runs the image as Kubernetes does; sets $url.
start_container() {
    local cid port
    cid=$("${ENGINE[@]}" run --detach --read-only --cap-drop=ALL --security-opt no-new-privileges \
        --user 65532:65532 "${run_flags[@]}" --publish 127.0.0.1::8080 edge-predictor:smoke-test "$@" 2>/dev/null)
    containers+=("$cid")
    port=$("${ENGINE[@]}" port "$cid" 8080 | head -n 1 | sed 's/.*://')
    url=http://127.0.0.1:$port
}
if container_engine; then
    mapfile -t run_flags < <(engine_run_flags)
    check "build the image" env IMAGE=edge-predictor TAG=smoke-test scripts/build/image.sh
    start_container
    check "passes against the container run as in the pod (uid 65532, read-only)" "$smoke" "$url"
    start_container serve --scaling per-request
    check_fails_with "fails against a container serving per-request scaling" "is not numerically" "$smoke" "$url"
else
    echo "  note: no container engine here (scripts/test/container.sh installs podman): container not smoke-tested"
fi

echo "smoke test usage"
check_fails "no URL is a usage error" "$smoke"
check_fails "a non-numeric expected value is refused" env EXPECTED_PREDICTION=abc "$smoke" "$url"

finish
