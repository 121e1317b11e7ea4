# Assertions shared by the shell tests (sourced): count results and end each test file
# with the plain "N passed, N failed" line.
# shellcheck shell=bash

passed=0
failed=0

ok() {
    passed=$((passed + 1))
    printf '  ok   %s\n' "$1"
}
not_ok() {
    failed=$((failed + 1))
    printf '  FAIL %s\n' "$1"
    [[ -z ${2:-} ]] || printf '%s\n' "$2" | sed 's/^/       /' | head -n 20
}
# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
# check_fails NAME COMMAND...: passes when COMMAND exits non-zero.
check_fails() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then not_ok "$name (it succeeded)" "$out"; else ok "$name"; fi
}
# check_fails_with NAME TEXT COMMAND...: passes when COMMAND fails saying TEXT.
check_fails_with() {
    local name=$1 text=$2 out
    shift 2
    if out=$("$@" 2>&1); then
        not_ok "$name (it succeeded)" "$out"
    elif [[ $out == *"$text"* ]]; then
        ok "$name"
    else
        not_ok "$name (not for '$text')" "$out"
    fi
}
# check_eq NAME EXPECTED ACTUAL
check_eq() {
    if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "expected: $2
actual:   $3"; fi
}
contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

finish() {
    echo "$passed passed, $failed failed"
    ((failed == 0))
}
