#!/usr/bin/env bash
# Builds the production image: the static musl `host` binary (cargo, on this machine),
# then the FROM-scratch Dockerfile with podman or docker; prints the image id and size.
set -euo pipefail
usage="usage: [IMAGE=edge-predictor] [TAG=<git sha>] [DOCKER=podman|docker] $0 [TAG]"
case ${1:-} in -h | --help) echo "$usage"; exit 0 ;; esac
[[ $# -le 1 ]] || { echo "$usage" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/container.sh
source scripts/lib/container.sh

IMAGE=${IMAGE:-edge-predictor}
TAG=${1:-${TAG:-$(git rev-parse --short HEAD 2>/dev/null || echo dev)}}
TARGET=x86_64-unknown-linux-musl
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR

container_engine || { echo "build_image.sh: neither podman nor a running docker engine" >&2; exit 1; }

echo "build_image.sh: cargo build --release -p host --target $TARGET" >&2
rustup target list --installed 2>/dev/null | grep -qx "$TARGET" || rustup target add "$TARGET"
# mimalloc (the server's allocator) is C: it must be compiled against musl, by musl-gcc.
if ! command -v musl-gcc >/dev/null; then
    echo "build_image.sh: installing musl-tools (musl-gcc)" >&2
    sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >&2
fi
CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked -p host --target "$TARGET"
binary=$TARGET_DIR/$TARGET/release/host

# A small build context holding only the binary, at the path the Dockerfile expects
# (whatever CARGO_TARGET_DIR is).
context=$ROOT/.cache/image-context
rm -rf "$context"
mkdir -p "$context/target/$TARGET/release"
cp "$binary" "$context/target/$TARGET/release/host"

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
build=("${ENGINE[@]}" build --file "$ROOT/Dockerfile" --tag "$IMAGE:$TAG"
    --build-arg "REVISION=$revision" --build-arg "VERSION=$version")
# HEALTHCHECK is a Docker-format feature; podman's default OCI format drops it.
[[ $ENGINE_NAME == podman ]] && build+=(--format docker)
echo "build_image.sh: ${build[*]} $context" >&2
"${build[@]}" "$context" >&2

id=$("${ENGINE[@]}" image inspect --format '{{.Id}}' "$IMAGE:$TAG")
size=$("${ENGINE[@]}" image inspect --format '{{.Size}}' "$IMAGE:$TAG")
echo "build_image.sh: built $IMAGE:$TAG id ${id:0:19} size $size bytes ($((size / 1024)) KiB) with $ENGINE_NAME" >&2
echo "$IMAGE:$TAG"
