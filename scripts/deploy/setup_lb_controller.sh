#!/usr/bin/env bash
# Installs the AWS Load Balancer Controller (pinned chart, pinned IAM policy from
# infra/iam/) with an IRSA service account; safe to rerun.
set -euo pipefail
usage="usage: $0   (env: CLUSTER_NAME, AWS_REGION, AWS, EKSCTL, HELM, KUBECTL)"
[[ $# -eq 0 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"
# shellcheck source=infra/versions.env
source "$REPO_ROOT/infra/versions.env"

policy_file=${LBC_POLICY_FILE:-$REPO_ROOT/infra/iam/lb-controller-policy.json}
policy_name=${LBC_POLICY_NAME:-$CLUSTER_NAME-AWSLoadBalancerController}
account=$("$AWS" sts get-caller-identity --query Account --output text)
policy_arn=$("$AWS" iam list-policies --scope Local \
    --query "Policies[?PolicyName=='$policy_name'].Arn | [0]" --output text)

# The policy: created, or given a new default version when the pinned document changed.
if [[ -z $policy_arn || $policy_arn == None ]]; then
    log "creating IAM policy $policy_name"
    policy_arn=$("$AWS" iam create-policy --policy-name "$policy_name" \
        --policy-document "file://$policy_file" --query Policy.Arn --output text)
else
    version=$("$AWS" iam get-policy --policy-arn "$policy_arn" \
        --query Policy.DefaultVersionId --output text)
    current=$("$AWS" iam get-policy-version --policy-arn "$policy_arn" --version-id "$version" \
        --query PolicyVersion.Document --output json | jq -S .)
    if [[ $current != "$(jq -S . "$policy_file")" ]]; then
        log "updating IAM policy $policy_name to the pinned document"
        # IAM keeps at most 5 versions: drop the oldest non-default one first.
        # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
        oldest=$("$AWS" iam list-policy-versions --policy-arn "$policy_arn" \
            --query 'sort_by(Versions[?IsDefaultVersion==`false`], &CreateDate)[0].VersionId' \
            --output text)
        count=$("$AWS" iam list-policy-versions --policy-arn "$policy_arn" \
            --query 'length(Versions)' --output text)
        if ((count >= 5)); then
            "$AWS" iam delete-policy-version --policy-arn "$policy_arn" --version-id "$oldest"
        fi
        "$AWS" iam create-policy-version --policy-arn "$policy_arn" \
            --policy-document "file://$policy_file" --set-as-default >/dev/null
    fi
fi
log "policy $policy_arn (account $account)"

"$EKSCTL" utils associate-iam-oidc-provider --cluster "$CLUSTER_NAME" --region "$AWS_REGION" --approve
"$EKSCTL" create iamserviceaccount --cluster "$CLUSTER_NAME" --region "$AWS_REGION" \
    --namespace kube-system --name aws-load-balancer-controller \
    --role-name "$CLUSTER_NAME-lb-controller" --attach-policy-arn "$policy_arn" \
    --override-existing-serviceaccounts --approve

# Fargate pods cannot reach instance metadata: the controller is told its VPC and region.
subnet=$("$AWS" eks describe-cluster --name "$CLUSTER_NAME" \
    --query 'cluster.resourcesVpcConfig.subnetIds[0]' --output text)
vpc_id=$("$AWS" ec2 describe-subnets --subnet-ids "$subnet" --query 'Subnets[0].VpcId' --output text)
[[ $vpc_id == vpc-* ]] || die "cannot find the cluster's VPC (subnet $subnet gave '$vpc_id')"
"$HELM" repo add eks "$LBC_CHART_REPO" --force-update
"$HELM" upgrade --install aws-load-balancer-controller eks/aws-load-balancer-controller \
    --namespace kube-system --version "$LBC_CHART_VERSION" \
    --set "clusterName=$CLUSTER_NAME" --set "region=$AWS_REGION" --set "vpcId=$vpc_id" \
    --set serviceAccount.create=false --set serviceAccount.name=aws-load-balancer-controller \
    --set enableShield=false --set enableWaf=false --set enableWafv2=false \
    --wait --timeout "${WAIT_TIMEOUT}s"
"$KUBECTL" --namespace kube-system rollout status deployment/aws-load-balancer-controller \
    --timeout "${WAIT_TIMEOUT}s"
