# Waits for a server a test script started: polls URL until it answers, or shows its log.
# shellcheck shell=bash
# usage: source scripts/lib/wait_http.sh; wait_for URL LOGFILE   (gives up after 60 s)

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
