#!/usr/bin/env bash
# Tears everything down: the CDN stack, every release (ALBs first), the load balancer
# controller, the cluster, the IAM policy and (unless KEEP_IMAGES=1) the ECR repository.
set -euo pipefail
usage="usage: $0 --yes   (deletes production; env: CLUSTER_NAME, AWS_REGION, KEEP_IMAGES)"
[[ $# -eq 1 && $1 == --yes ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

log "deleting CloudFormation stack $CDN_STACK_NAME"
"$AWS" cloudformation delete-stack --stack-name "$CDN_STACK_NAME"
"$AWS" cloudformation wait stack-delete-complete --stack-name "$CDN_STACK_NAME"

if "$AWS" eks describe-cluster --name "$CLUSTER_NAME" >/dev/null 2>&1; then
    listed=$(fargate_profiles)
    mapfile -t profiles <<<"$listed"
    for profile in "${profiles[@]}"; do
        release=$(release_of "$profile")
        [[ -z $release ]] || delete_release "$release"
    done
    "$HELM" uninstall aws-load-balancer-controller --namespace kube-system --ignore-not-found --wait
    "$EKSCTL" delete iamserviceaccount --cluster "$CLUSTER_NAME" --region "$AWS_REGION" \
        --namespace kube-system --name aws-load-balancer-controller --wait
    "$EKSCTL" delete cluster --name "$CLUSTER_NAME" --region "$AWS_REGION" --wait
else
    log "cluster $CLUSTER_NAME does not exist"
fi

policy_name=${LBC_POLICY_NAME:-$CLUSTER_NAME-AWSLoadBalancerController}
policy_arn=$("$AWS" iam list-policies --scope Local \
    --query "Policies[?PolicyName=='$policy_name'].Arn | [0]" --output text)
if [[ -n $policy_arn && $policy_arn != None ]]; then
    # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
    for version in $("$AWS" iam list-policy-versions --policy-arn "$policy_arn" \
        --query 'Versions[?IsDefaultVersion==`false`].VersionId' --output text); do
        "$AWS" iam delete-policy-version --policy-arn "$policy_arn" --version-id "$version"
    done
    "$AWS" iam delete-policy --policy-arn "$policy_arn"
fi

if [[ ${KEEP_IMAGES:-0} != 1 ]]; then
    "$AWS" ecr delete-repository --repository-name "$ECR_REPOSITORY" --force >/dev/null 2>&1 ||
        log "no ECR repository $ECR_REPOSITORY"
fi
log "all infrastructure of $APP deleted"
