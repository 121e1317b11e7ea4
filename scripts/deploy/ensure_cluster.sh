#!/usr/bin/env bash
# Creates the EKS cluster from infra/cluster.yaml only when it does not exist, waits until
# it is ACTIVE, and points kubectl at it.
set -euo pipefail
usage="usage: $0   (env: CLUSTER_NAME, AWS_REGION, EKSCTL, AWS)"
[[ $# -eq 0 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

errors=$(mktemp)
config=$(mktemp --suffix .yaml)
trap 'rm -f "$errors" "$config"' EXIT

if status=$("$AWS" eks describe-cluster --name "$CLUSTER_NAME" \
    --query cluster.status --output text 2>"$errors"); then
    log "cluster $CLUSTER_NAME exists ($status)"
    [[ $status == ACTIVE || $status == CREATING || $status == UPDATING ]] ||
        die "cluster $CLUSTER_NAME is $status"
else
    grep -q ResourceNotFoundException "$errors" || die "cannot look up the cluster: $(cat "$errors")"
    # The checked-in config with this run's cluster name and region.
    sed -e "0,/^  name: .*/s//  name: $CLUSTER_NAME/" \
        -e "s/^  region: .*/  region: $AWS_REGION/" "$REPO_ROOT/infra/cluster.yaml" >"$config"
    log "creating cluster $CLUSTER_NAME in $AWS_REGION (15-20 minutes)"
    "$EKSCTL" create cluster --config-file "$config"
fi
"$AWS" eks wait cluster-active --name "$CLUSTER_NAME"
"$AWS" eks update-kubeconfig --name "$CLUSTER_NAME" --region "$AWS_REGION" >&2
