#!/usr/bin/env bash
# Checks a deployed release really answers: V2 ready, then POST /predict with the README
# sample must return exactly the expected prediction (same text AND same number).
set -euo pipefail
usage="usage: $0 URL   (env: EXPECTED_PREDICTION [25.0021457871835], SMOKE_TIMEOUT [300] s, SMOKE_INTERVAL [5] s)"
[[ $# -eq 1 && $1 == http*://* ]] || { echo "$usage" >&2; exit 2; }

url=${1%/}
# The README sample (Boston housing row 0); training scaling gives 25.0021457871835.
sample='{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}'
expected=${EXPECTED_PREDICTION:-25.0021457871835}
number='-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?'
[[ $expected =~ ^$number$ ]] || { echo "EXPECTED_PREDICTION '$expected' is not a number" >&2; exit 2; }
timeout=${SMOKE_TIMEOUT:-300} interval=${SMOKE_INTERVAL:-5}
[[ $timeout =~ ^[0-9]+$ ]] || { echo "SMOKE_TIMEOUT must be whole seconds" >&2; exit 2; }
deadline=$((SECONDS + timeout))

say() { printf 'smoke_test: %s\n' "$*" >&2; }
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# request METHOD PATH [DATA]: sets $status and leaves the body in $body ("000" when no answer).
request() {
    local args=(--silent --show-error --max-time 10 --output "$body" --write-out '%{http_code}'
        --request "$1" "$url$2")
    [[ $# -lt 3 ]] || args+=(--header 'Content-Type: application/json' --data "$3")
    status=$(curl "${args[@]}" 2>/dev/null) || status=${status:-000}
}

# Until the deadline, the release may not be up yet (DNS, ALB warm-up, 503s): retry.
# A wrong answer from a running release is final: fail at once.
attempt=0
while :; do
    attempt=$((attempt + 1))
    request GET /v2/health/ready
    if [[ $status == 200 ]] && grep -Eq '"ready"[[:space:]]*:[[:space:]]*true' "$body"; then
        request POST /predict "$sample"
        if [[ $status == 200 ]]; then
            break
        fi
        say "attempt $attempt: POST /predict answered HTTP $status: $(head -c 200 "$body")"
    else
        say "attempt $attempt: not ready (HTTP $status: $(head -c 200 "$body"))"
    fi
    if ((SECONDS >= deadline)); then
        say "FAIL: $url did not answer within ${timeout}s"
        exit 1
    fi
    sleep "$interval"
done

response=$(tr -d '[:space:]' <"$body")
# Exactly one prediction, taken as the server wrote it (no re-formatting by a JSON tool).
if [[ ! $response =~ ^\{\"prediction\":\[($number)\]\}$ ]]; then
    say "FAIL: unexpected response: $response"
    exit 1
fi
actual=${BASH_REMATCH[1]}
# The same value as a number first (strtod in awk: both sides parse to the same double).
if ! awk -v a="$actual" -v e="$expected" 'BEGIN { exit !(a + 0 == e + 0) }'; then
    say "FAIL: prediction $actual is not numerically $expected"
    exit 1
fi
# And the same text: the shortest round-trip form the server prints (catches formatting drift).
if [[ $actual != "$expected" ]]; then
    say "FAIL: prediction text $actual != expected $expected"
    exit 1
fi
say "PASS: $url predicts $actual (expected $expected), ready after $attempt attempt(s)"
