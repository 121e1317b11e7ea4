#!/usr/bin/env bash
# Creates a release's Fargate profile and namespace (both "<APP>-<RELEASE>"); reruns
# find them and do nothing. The profile reuses the system profile's role and subnets.
set -euo pipefail
usage="usage: $0 [RELEASE]   (default: wf-<first 8 of CIRCLE_WORKFLOW_ID>)"
[[ $# -le 1 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

release=${1:-$(default_release)}
check_release "$release"
ns=$(release_namespace "$release")
[[ $ns != "$SYSTEM_FARGATE_PROFILE" ]] || die "$ns is the system profile"

if fargate_profile_exists "$ns"; then
    log "Fargate profile $ns exists"
else
    role=$("$AWS" eks describe-fargate-profile --cluster-name "$CLUSTER_NAME" \
        --fargate-profile-name "$SYSTEM_FARGATE_PROFILE" \
        --query fargateProfile.podExecutionRoleArn --output text)
    read -r -a subnets < <("$AWS" eks describe-fargate-profile --cluster-name "$CLUSTER_NAME" \
        --fargate-profile-name "$SYSTEM_FARGATE_PROFILE" \
        --query 'fargateProfile.subnets[]' --output text)
    ((${#subnets[@]} > 0)) || die "the system profile has no subnets"
    log "creating Fargate profile $ns"
    "$AWS" eks create-fargate-profile --cluster-name "$CLUSTER_NAME" \
        --fargate-profile-name "$ns" --pod-execution-role-arn "$role" \
        --subnets "${subnets[@]}" \
        --selectors "[{\"namespace\":\"$ns\"}]" \
        --tags "app=$APP,release=$release" >/dev/null
fi
"$AWS" eks wait fargate-profile-active --cluster-name "$CLUSTER_NAME" --fargate-profile-name "$ns"

if ! "$KUBECTL" get namespace "$ns" >/dev/null 2>&1; then
    "$KUBECTL" create namespace "$ns"
fi
echo "$release"
