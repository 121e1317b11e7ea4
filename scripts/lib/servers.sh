# The servers a test or benchmark script starts on 127.0.0.1: a free port, start in the
# background with a log, wait until one answers, and stop them all by PID on exit.
# shellcheck shell=bash
# usage: source scripts/lib/servers.sh; start_servers   (then: free_port, serve, wait_for)
#   start_servers           makes SERVER_LOGS (a temp dir) and an EXIT trap that stops every
#                           server and removes the logs (extra paths: STOP_ALSO_REMOVE=(...))
#   serve NAME CMD...       runs CMD in the background, output in $SERVER_LOGS/NAME.log;
#                           its PID is in SERVER_PID (and stopped on exit)
#   wait_for URL LOGFILE    polls URL until it answers, or shows the log (gives up after 60 s)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_servers() {
    SERVER_LOGS=$(mktemp -d)
    SERVER_PIDS=()
    STOP_ALSO_REMOVE=()
    trap stop_servers EXIT
}

serve() {
    local name=$1
    shift
    "$@" >"$SERVER_LOGS/$name.log" 2>&1 &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
}

stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$SERVER_LOGS" "${STOP_ALSO_REMOVE[@]}"
}

wait_for() {
    local url=$1 log=$2
    for _ in $(seq 1 120); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "FAIL: $url did not answer in 60 s; its log:" >&2
    cat "$log" >&2
    return 1
}
