#!/usr/bin/env bash
# Pushes the locally built image to ECR tagged with the commit SHA (never only `latest`),
# creating the repository when missing; prints the pushed image's digest reference.
set -euo pipefail
usage="usage: IMAGE=local-name TAG=commit-sha $0   (prints REGISTRY/REPO@sha256:...)"
[[ $# -eq 0 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

IMAGE=${IMAGE:-$APP}
TAG=${TAG:-${CIRCLE_SHA1:-$(git -C "$REPO_ROOT" rev-parse HEAD)}}
[[ $TAG =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ && $TAG != latest ]] ||
    die "TAG '$TAG' must be a commit SHA (a valid tag, not 'latest')"

# The repository: found, or created (immutable tags, scanned on push); other errors stop.
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if ! uri=$("$AWS" ecr describe-repositories --repository-names "$ECR_REPOSITORY" \
    --query 'repositories[0].repositoryUri' --output text 2>"$errors"); then
    err=$(cat "$errors")
    [[ $err == *RepositoryNotFoundException* ]] || die "cannot look up ECR repository: $err"
    log "creating ECR repository $ECR_REPOSITORY"
    uri=$("$AWS" ecr create-repository --repository-name "$ECR_REPOSITORY" \
        --image-tag-mutability IMMUTABLE \
        --image-scanning-configuration scanOnPush=true \
        --encryption-configuration encryptionType=AES256 \
        --tags "Key=app,Value=$APP" \
        --query repository.repositoryUri --output text)
fi
registry=${uri%%/*}

digest() {
    "$AWS" ecr describe-images --repository-name "$ECR_REPOSITORY" \
        --image-ids "imageTag=$TAG" --query 'imageDetails[0].imageDigest' --output text 2>/dev/null
}

# Tags are immutable: a rerun of the same commit finds its image and pushes nothing.
if sha=$(digest) && [[ $sha == sha256:* ]]; then
    log "$uri:$TAG is already in ECR"
else
    "$AWS" ecr get-login-password | "$DOCKER" login --username AWS --password-stdin "$registry"
    "$DOCKER" tag "$IMAGE:$TAG" "$uri:$TAG"
    "$DOCKER" push "$uri:$TAG" >&2
    sha=$(digest) && [[ $sha == sha256:* ]] || die "pushed $uri:$TAG but ECR reports no digest"
fi
printf '%s@%s\n' "$uri" "$sha"
