#!/usr/bin/env bash
# Deletes a release that must not go live (failed deploy or smoke test). Refuses to touch
# the live release, so production stays on blue whatever state the pipeline is in.
set -euo pipefail
usage="usage: $0 [RELEASE]   (default: wf-<first 8 of CIRCLE_WORKFLOW_ID>)"
[[ $# -le 1 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

release=${1:-$(default_release)}
check_release "$release"
live=$(live_release)
if [[ $live == "$release" ]]; then
    die "release $release is live: not deleting it (promote another release first)"
fi
delete_release "$release"
log "rolled back $release; production stays on ${live:-nothing (no release was live)}"
