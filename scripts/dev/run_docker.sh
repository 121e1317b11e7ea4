#!/usr/bin/env bash
# The seed's user script: builds the image (scripts/build/image.sh) and runs it locally
# the way Kubernetes does (non-root, read-only root file system) on HOST_PORT (8000).
set -euo pipefail
usage="usage: $0   (env: DOCKER [docker|podman], IMAGE, TAG, HOST_PORT [8000])"
[[ $# -eq 0 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

IMAGE=${IMAGE:-$APP}
TAG=${TAG:-$(git -C "$REPO_ROOT" rev-parse --short HEAD)}
IMAGE=$IMAGE TAG=$TAG "$REPO_ROOT/scripts/build/image.sh"
"$DOCKER" image ls "$IMAGE"
log "serving on http://localhost:${HOST_PORT:-8000} (try scripts/dev/make_predictions.sh localhost ${HOST_PORT:-8000})"
exec "$DOCKER" run --rm --read-only --user 65532:65532 --cap-drop ALL \
    --security-opt no-new-privileges --publish "${HOST_PORT:-8000}:8080" "$IMAGE:$TAG"
