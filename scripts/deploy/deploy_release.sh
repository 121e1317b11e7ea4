#!/usr/bin/env bash
# Applies a release's manifests (scripts/deploy/render_release.sh), waits for the rollout and
# for its ALB, and prints the ALB hostname.
set -euo pipefail
usage="usage: $0 RELEASE IMAGE   (IMAGE from scripts/deploy/push_image.sh)"
[[ $# -eq 2 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

release=$1 image=$2
check_release "$release"
ns=$(release_namespace "$release")
manifests=$(mktemp)
trap 'rm -f "$manifests"' EXIT
"$(dirname "$0")/render_release.sh" "$release" "$image" >"$manifests"
"$KUBECTL" apply --filename "$manifests"
"$KUBECTL" --namespace "$ns" rollout status deployment/"$APP" --timeout "${WAIT_TIMEOUT}s"

host=""
alb_address() {
    host=$("$KUBECTL" --namespace "$ns" get ingress "$APP" \
        --output 'jsonpath={.status.loadBalancer.ingress[0].hostname}')
    [[ -n $host ]]
}
wait_for "$WAIT_TIMEOUT" "the ALB address of $ns" alb_address
log "release $release is at http://$host"
echo "$host"
