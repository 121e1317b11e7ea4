#!/usr/bin/env bash
# Tests the test harness itself (scripts/lib/servers.sh): a server whose child ignores
# SIGTERM (as `jco serve`'s does) is stopped with its whole process group, and a server
# a run leaves listening is found by the run's environment mark.
# usage: scripts/test/servers.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 0 ] || { echo "usage: scripts/test/servers.sh" >&2; exit 2; }
# shellcheck source=scripts/lib/assert.sh
source scripts/lib/assert.sh
# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh

listening() { ss -ltnH "sport = :$1" | grep -q .; }
# A parent that dies on SIGTERM and a listening child that ignores it.
stubborn_child='import signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
time.sleep(120)'

echo "stop_servers stops a server's children, SIGKILL after the grace period"
port=$(free_port)
pgid_file=$(mktemp)
(
    start_servers
    STOP_GRACE_SECONDS=1
    # shellcheck disable=SC2016 # the inner shell expands its own arguments
    serve parent bash -c 'python3 -c "$1" "$2" & wait' _ "$stubborn_child" "$port"
    for _ in $(seq 50); do listening "$port" && break; sleep 0.1; done
    echo "$SERVER_PID" >"$pgid_file"
)
pgid=$(cat "$pgid_file")
rm -f "$pgid_file"
check_fails "nothing listens on the child's port after stop_servers" listening "$port"
check_fails "no process of the server's group is left" group_alive "$pgid"

echo "leftover_listeners finds a listener a run left behind, by the run's mark"
mark="EDGE_PREDICTOR_TEST_RUN=servers-test-$$"
port=$(free_port)
env "$mark" python3 -c "$stubborn_child" "$port" &
leaked=$!
for _ in $(seq 50); do listening "$port" && break; sleep 0.1; done
check "the leaked listener is listed" grep -q "^$leaked " <(leftover_listeners "$mark")
check_eq "a listener without the mark is not" "" "$(leftover_listeners "EDGE_PREDICTOR_TEST_RUN=other-run")"
kill -KILL "$leaked"
wait "$leaked" 2>/dev/null || true
check_eq "none is listed once it is gone" "" "$(leftover_listeners "$mark")"

finish
