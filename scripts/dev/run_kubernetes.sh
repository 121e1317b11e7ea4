#!/usr/bin/env bash
# The seed's user script: deploys one release to the current kubectl context (any
# cluster: kind, minikube, EKS) and forwards HOST_PORT (8000) to it.
set -euo pipefail
usage="usage: $0 IMAGE [RELEASE]   (IMAGE must be pullable by the cluster; RELEASE: local)"
[[ $# -ge 1 && $# -le 2 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

image=$1 release=${2:-local}
check_release "$release"
ns=$(release_namespace "$release")
"$REPO_ROOT/scripts/deploy/render_release.sh" "$release" "$image" | "$KUBECTL" apply --filename -
"$KUBECTL" --namespace "$ns" rollout status deployment/"$APP" --timeout "${WAIT_TIMEOUT}s"
"$KUBECTL" --namespace "$ns" get pods --output wide
log "forwarding http://localhost:${HOST_PORT:-8000} (try scripts/dev/make_predictions.sh localhost ${HOST_PORT:-8000})"
exec "$KUBECTL" --namespace "$ns" port-forward service/"$APP" "${HOST_PORT:-8000}:80"
