#!/usr/bin/env bash
# Installs the deployment tools at the versions pinned in infra/ (awscli from
# requirements-check.txt; kubectl, helm, eksctl from versions.env, checksums verified).
set -euo pipefail
usage="usage: $0 [BIN_DIR]   (default: \$HOME/bin; Linux amd64)"
[[ $# -le 1 && ${1:-} != -* ]] || { echo "$usage" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$HOME/bin}
# shellcheck source=infra/versions.env
source "$root/infra/versions.env"

pip install --quiet "$(grep '^awscli==' "$root/infra/requirements-check.txt")"
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

k8s=https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/amd64
curl -fsSLO "$k8s/kubectl"
echo "$(curl -fsSL "$k8s/kubectl.sha256")  kubectl" | sha256sum --check
install kubectl "$bin/"

helm_tar=helm-$HELM_VERSION-linux-amd64.tar.gz
curl -fsSLO "https://get.helm.sh/$helm_tar"
echo "$(curl -fsSL "https://get.helm.sh/$helm_tar.sha256sum" | cut -d' ' -f1)  $helm_tar" | sha256sum --check
tar -xzf "$helm_tar"
install linux-amd64/helm "$bin/"

eksctl_url=https://github.com/eksctl-io/eksctl/releases/download/$EKSCTL_VERSION
curl -fsSLO "$eksctl_url/eksctl_Linux_amd64.tar.gz"
curl -fsSL "$eksctl_url/eksctl_checksums.txt" | grep ' eksctl_Linux_amd64.tar.gz$' | sha256sum --check
tar -xzf eksctl_Linux_amd64.tar.gz
install eksctl "$bin/"
"$bin/kubectl" version --client && "$bin/helm" version --short && "$bin/eksctl" version
