# The servers a test or benchmark script starts on 127.0.0.1: a free port, each server in
# a process group of its own with a log, a wait until it answers, and on exit every group
# stopped (TERM, then KILL after a grace period), so no child outlives its script.
# shellcheck shell=bash
# usage: source scripts/lib/servers.sh; start_servers   (then: free_port, serve, wait_for)
#   start_servers           makes SERVER_LOGS (a temp dir) and an EXIT trap that runs
#                           ON_STOP (a command, if set), stops every server's process group
#                           and removes the logs (extra paths: STOP_ALSO_REMOVE=(...))
#   serve NAME CMD...       runs CMD in its own process group in the background, output in
#                           $SERVER_LOGS/NAME.log; its PID (= its group) is in SERVER_PID
#   wait_for URL LOG [S]    polls URL until it answers (any HTTP status), or shows LOG
#                           and fails after S seconds (default 60)
#   stop_server PID         stops one server's process group: TERM, then KILL after
#                           STOP_GRACE_SECONDS (default 5)
#   stop_servers            what the EXIT trap runs: stop_server for each
#   leftover_listeners MARK lists processes whose environment holds MARK and that listen
#                           on a TCP port ("PID COMMAND" lines): servers a run left behind

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_servers() {
    SERVER_LOGS=$(mktemp -d)
    SERVER_PIDS=()
    STOP_ALSO_REMOVE=()
    ON_STOP=${ON_STOP:-}
    trap stop_servers EXIT
}

serve() {
    local name=$1
    shift
    # setsid makes the background child (never a group leader itself) the leader of a
    # new session and process group, so its PID names the group.
    setsid "$@" >"$SERVER_LOGS/$name.log" 2>&1 </dev/null &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
}

# group_alive PGID: whether a process of the group is still running (zombies do not count).
group_alive() {
    ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# stop_server PID: stops the process group of one server started by `serve`.
stop_server() {
    local pid=$1 deadline=$((SECONDS + ${STOP_GRACE_SECONDS:-5}))
    kill -TERM -- "-$pid" 2>/dev/null || true
    while group_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if group_alive "$pid"; then
        echo "server group $pid ignored SIGTERM for ${STOP_GRACE_SECONDS:-5} s: SIGKILL" >&2
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_servers() {
    local pid
    [[ -z ${ON_STOP:-} ]] || $ON_STOP || true
    for pid in "${SERVER_PIDS[@]}"; do stop_server "$pid"; done
    rm -rf "$SERVER_LOGS" "${STOP_ALSO_REMOVE[@]}"
}

wait_for() {
    local url=$1 log=$2 deadline=$((SECONDS + ${3:-60}))
    until curl -sS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            echo "FAIL: $url did not answer in ${3:-60} s; its log:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.2
    done
}

leftover_listeners() {
    local mark=$1 dir pid vars listening
    listening=$(ss -ltnpH 2>/dev/null)
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        ((pid != $$ && pid != BASHPID)) || continue
        # mapfile is a builtin: reading environments starts no process that would match.
        mapfile -d "" vars 2>/dev/null <"$dir/environ" || continue
        [[ " ${vars[*]} " == *" $mark "* ]] || continue
        [[ $listening == *"pid=$pid,"* ]] || continue
        echo "$pid $(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null)"
    done
}
