#!/usr/bin/env bash
# Load benchmark of the native server (issue 6), all in one run on this machine: the HTTP
# floor (host/examples/floor.rs), `host` (native build and the static musl image binary)
# and the original Flask service (scripts/dev/run_original.sh), with wrk at c=1 and c=64,
# 1-row and 100-row payloads; RSS, ready-after-exec, image size, and a soak at c=256.
# Results: .cache/bench-load/ and BENCHMARKS.md's "Native server (load)" section.
set -euo pipefail
usage="usage: $0 [--quick]   (env: DURATION=10 ROUNDS=3 SOAK=60 ORIGINAL=1 IMAGE_ENGINE=1)"
QUICK=0
case ${1:-} in
    -h | --help) echo "$usage"; exit 0 ;;
    --quick) QUICK=1 ;;
    "") ;;
    *) echo "$usage" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=$ROOT/.cache/bench-load
mkdir -p "$OUT"
rm -f "$OUT"/*.wrk "$OUT"/*.txt
DURATION=${DURATION:-$([[ $QUICK == 1 ]] && echo 3 || echo 10)}
ROUNDS=${ROUNDS:-$([[ $QUICK == 1 ]] && echo 1 || echo 3)}
SOAK=${SOAK:-$([[ $QUICK == 1 ]] && echo 10 || echo 60)}
ORIGINAL=${ORIGINAL:-1}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
say() { printf 'bench_load.sh: %s\n' "$*" >&2; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- tools and binaries ---------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    say "installing wrk (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi
say "building host (native), the floor example and the static musl image binary"
cargo build --release --locked -p host --bin host --example floor >&2
IMAGE=edge-predictor TAG=bench bash scripts/build/image.sh >"$OUT/image.txt" 2>"$OUT/image.log" ||
    say "image build failed (see $OUT/image.log); image size not measured"
HOST_NATIVE=$TARGET_DIR/release/host
FLOOR=$TARGET_DIR/release/examples/floor
HOST_MUSL=$TARGET_DIR/x86_64-unknown-linux-musl/release/host
[[ -x $HOST_MUSL ]] || CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked -p host \
    --target x86_64-unknown-linux-musl >&2

# --- payloads (the README sample; the first 100 housing.csv rows) as wrk scripts -------
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
features = {"CHAS": 3, "RM": 5, "TAX": 9, "PTRATIO": 10, "B": 11, "LSTAT": 12}
rows = [list(map(float, line.split())) for line in open("model_data/housing.csv") if line.strip()][:100]
payloads = {
    "1row": '{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}',
    "100row": json.dumps({name: {str(i): r[k] for i, r in enumerate(rows)} for name, k in features.items()},
                         separators=(",", ":")),
}
for name, body in payloads.items():
    with open(f"{out}/{name}.json", "w") as f:
        f.write(body)
    with open(f"{out}/{name}.lua", "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = [==[{body}]==]\n")
PY

# --- servers --------------------------------------------------------------------------
PIDS=()
declare -A PID_OF=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

wait_http() { # url: until it answers (any status), at most 60 s (the original imports pandas)
    for _ in $(seq 1 600); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    say "no answer from $1"
    return 1
}

start() { # name port cmd... ; sets PID_OF[name]
    local name=$1 port=$2
    shift 2
    "$@" >"$OUT/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    PID_OF[$name]=$pid
    wait_http "http://127.0.0.1:$port/"
}

rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }

start floor 18190 "$FLOOR" 127.0.0.1:18190
start host 18191 "$HOST_NATIVE" --listen 127.0.0.1:18191 --grpc-listen none
start musl 18192 "$HOST_MUSL" --listen 127.0.0.1:18192 --grpc-listen none
if [[ $ORIGINAL == 1 ]]; then
    PORT=18193 start original 18193 bash scripts/dev/run_original.sh
fi
declare -A PORT_OF=([floor]=18190 [host]=18191 [musl]=18192 [original]=18193)

run_wrk() { # name conns payload seconds tag
    local name=$1 c=$2 payload=$3 secs=$4 tag=$5 threads=2
    ((c == 1)) && threads=1
    local timeout=2s
    [[ $name == original ]] && timeout=30s
    wrk -t"$threads" -c"$c" -d"${secs}s" --timeout "$timeout" --latency -s "$OUT/$payload.lua" \
        "http://127.0.0.1:${PORT_OF[$name]}/predict" >"$OUT/$name.c$c.$payload.$tag.wrk"
}

# Interleaved rounds, so the machine's background load hits every server alike.
for payload in 1row 100row; do
    for c in 1 64; do
        for round in $(seq 1 "$ROUNDS"); do
            for name in floor host musl; do
                say "wrk $name c=$c $payload round $round (${DURATION}s)"
                run_wrk "$name" "$c" "$payload" "$DURATION" "r$round"
            done
        done
        if [[ $ORIGINAL == 1 ]]; then
            say "wrk original c=$c $payload (${DURATION}s)"
            run_wrk original "$c" "$payload" "$DURATION" r1
        fi
    done
done
for name in floor host musl original; do
    [[ -n ${PID_OF[$name]:-} ]] || continue
    echo "$name $(hwm_kb "${PID_OF[$name]}") $(rss_kb "${PID_OF[$name]}")" >>"$OUT/rss.txt"
done

# --- ready after exec: from fork/exec to the first 200 of /v2/health/ready -------------
say "ready-after-exec (20 starts each)"
python3 - "$HOST_MUSL" "$HOST_NATIVE" >"$OUT/ready.txt" <<'PY'
import socket, statistics, subprocess, sys, time
def ready_ms(binary, port):
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", "--grpc-listen", "none"], stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return (time.perf_counter() - start) * 1000
            except OSError:
                time.sleep(0.0002)
    finally:
        proc.terminate()
        proc.wait()
for name, binary in (("musl", sys.argv[1]), ("host", sys.argv[2])):
    samples = [ready_ms(binary, 18200 + i) for i in range(20)]
    print(name, round(statistics.median(samples), 2), round(max(samples), 2))
PY

# --- soak: the image binary at c=256 -------------------------------------------------
say "soak: musl host, c=256, ${SOAK}s"
: >"$OUT/soak_rss.txt"
wrk -t2 -c256 -d"${SOAK}s" --timeout 5s --latency -s "$OUT/1row.lua" \
    "http://127.0.0.1:${PORT_OF[musl]}/predict" >"$OUT/soak.wrk" &
soak=$!
for _ in $(seq 1 $((SOAK / 5))); do
    sleep 5
    rss_kb "${PID_OF[musl]}" >>"$OUT/soak_rss.txt"
done
wait "$soak"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
machine="$cpu, $(nproc) cores, $(uname -sr), load average at start: $LOAD_BEFORE, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 scripts/bench/load_report.py --dir "$OUT" --rounds "$ROUNDS" --duration "$DURATION" \
    --soak "$SOAK" --machine "$machine" --command "bash scripts/bench/load.sh${1:+ $1}" \
    --benchmarks BENCHMARKS.md
