#!/usr/bin/env bash
# Prints the Kubernetes objects of one release: k8s/base with the release's namespace,
# instance label and image set by a generated kustomize overlay (no hand edits).
set -euo pipefail
usage="usage: $0 RELEASE IMAGE   (IMAGE: registry/repo:tag or registry/repo@sha256:...)"
[[ $# -eq 2 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

release=$1 image=$2
check_release "$release"
[[ $image =~ ^[a-z0-9./_:-]+(@sha256:[0-9a-f]{64})?$ && $image != *:latest ]] ||
    die "image '$image' must be a tagged (not :latest) or digest reference"

overlay=$(mktemp -d)
trap 'rm -rf "$overlay"' EXIT
if [[ $image == *@* ]]; then
    image_fields="newName: ${image%@*}
    digest: ${image#*@}"
elif [[ ${image##*/} == *:* ]]; then
    image_fields="newName: ${image%:*}
    newTag: ${image##*:}"
else
    die "image '$image' has neither a tag nor a digest"
fi
cat >"$overlay/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$overlay" "$REPO_ROOT/k8s/base")
namespace: $(release_namespace "$release")
labels:
  - pairs:
      app.kubernetes.io/instance: $release
    includeSelectors: true
images:
  - name: edge-predictor
    $image_fields
YAML
"$KUBECTL" kustomize "$overlay"
