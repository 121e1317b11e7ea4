#!/usr/bin/env bash
# The pipeline's smoke test step: smoke-tests the green release and, when it fails,
# deletes it (scripts/deploy/rollback_release.sh) and fails, leaving the live release untouched.
set -euo pipefail
usage="usage: $0 RELEASE URL"
[[ $# -eq 2 ]] || { echo "$usage" >&2; exit 2; }
here=$(dirname "$0")
if "$here/smoke_test.sh" "$2"; then
    exit 0
fi
echo "smoke_or_rollback: smoke test of $1 failed; rolling it back" >&2
"$here/rollback_release.sh" "$1"
exit 1
