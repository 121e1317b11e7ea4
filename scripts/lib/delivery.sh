# Shared settings and helpers of the delivery scripts (sourced, not run): names of the
# cluster/app/release objects, the tool binaries (overridable, so tests substitute fakes).
# shellcheck shell=bash

APP=${APP:-edge-predictor}
CLUSTER_NAME=${CLUSTER_NAME:-edge-predictor}
AWS_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
export AWS_REGION AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION}
ECR_REPOSITORY=${ECR_REPOSITORY:-$APP}
CDN_STACK_NAME=${CDN_STACK_NAME:-$APP-cdn}
# The Fargate profile eksctl creates from infra/cluster.yaml for kube-system: never a release.
SYSTEM_FARGATE_PROFILE=${SYSTEM_FARGATE_PROFILE:-fp-system}
# The CloudFront distribution's Comment names the live release: "<APP> live release: <name>".
LIVE_COMMENT_PREFIX="$APP live release: "

AWS=${AWS:-aws}
KUBECTL=${KUBECTL:-kubectl}
HELM=${HELM:-helm}
EKSCTL=${EKSCTL:-eksctl}
DOCKER=${DOCKER:-docker}
# Deadline of every wait, in seconds (rollouts, ALB address, deletions).
WAIT_TIMEOUT=${WAIT_TIMEOUT:-600}

# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# A release name is a DNS label short enough for "<APP>-<name>" namespaces and profiles.
check_release() {
    [[ $1 =~ ^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$ ]] ||
        die "release name '$1' must be 1-20 lower-case letters, digits or '-', not at either end"
}

# The namespace and the Fargate profile of a release share one name.
release_namespace() { printf '%s-%s\n' "$APP" "$1"; }

# The release of a namespace/profile name, or nothing when it is not one of ours.
release_of() {
    local name=$1
    [[ $name == "$APP-"* && $name != "$SYSTEM_FARGATE_PROFILE" ]] || return 0
    printf '%s\n' "${name#"$APP-"}"
}

# The default release name in CI: the first 8 characters of the workflow id.
default_release() {
    [[ -n ${CIRCLE_WORKFLOW_ID:-} ]] || die "give a release name (or set CIRCLE_WORKFLOW_ID)"
    printf 'wf-%s\n' "${CIRCLE_WORKFLOW_ID:0:8}"
}

# The id of the distribution whose Comment marks it as ours, or nothing.
find_distribution() {
    if [[ -n ${DISTRIBUTION_ID:-} ]]; then
        printf '%s\n' "$DISTRIBUTION_ID"
        return
    fi
    local ids
    ids=$("$AWS" cloudfront list-distributions --output text \
        --query "DistributionList.Items[?starts_with(Comment, '$LIVE_COMMENT_PREFIX')].Id")
    [[ $ids == None ]] && ids=""
    [[ $(wc -w <<<"$ids") -le 1 ]] || die "more than one distribution is marked '$LIVE_COMMENT_PREFIX': $ids"
    printf '%s\n' "$ids" | tr -d '[:space:]'
}

# The live release (the one CloudFront serves), or nothing before the first promotion.
live_release() {
    local id comment
    id=$(find_distribution)
    [[ -n $id ]] || return 0
    comment=$("$AWS" cloudfront get-distribution-config --id "$id" \
        --query DistributionConfig.Comment --output text)
    [[ $comment == "$LIVE_COMMENT_PREFIX"* ]] || die "distribution $id has no live release in its Comment: $comment"
    printf '%s\n' "${comment#"$LIVE_COMMENT_PREFIX"}"
}

# Poll COMMAND until it succeeds or the deadline passes: wait_for SECONDS WHAT COMMAND...
wait_for() {
    local seconds=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + seconds))
    until "$@"; do
        ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what"
        sleep "${POLL_INTERVAL:-5}"
    done
}

# The cluster's Fargate profile names, one a line.
fargate_profiles() {
    "$AWS" eks list-fargate-profiles --cluster-name "$CLUSTER_NAME" \
        --query 'fargateProfileNames[]' --output text | tr '\t' '\n' | sed '/^$/d'
}

fargate_profile_exists() {
    "$AWS" eks describe-fargate-profile --cluster-name "$CLUSTER_NAME" \
        --fargate-profile-name "$1" --query fargateProfile.status --output text >/dev/null 2>&1
}

# Removes a release: its Ingress first (the controller deletes the ALB while it still
# runs), then its namespace, then its Fargate profile.
delete_release() {
    local release=$1 ns
    ns=$(release_namespace "$release")
    log "deleting release $release (namespace and Fargate profile $ns)"
    "$KUBECTL" delete ingress --all --namespace "$ns" --ignore-not-found --wait \
        --timeout "${WAIT_TIMEOUT}s"
    "$KUBECTL" delete namespace "$ns" --ignore-not-found --wait --timeout "${WAIT_TIMEOUT}s"
    if fargate_profile_exists "$ns"; then
        "$AWS" eks delete-fargate-profile --cluster-name "$CLUSTER_NAME" \
            --fargate-profile-name "$ns" >/dev/null
        "$AWS" eks wait fargate-profile-deleted --cluster-name "$CLUSTER_NAME" \
            --fargate-profile-name "$ns"
    fi
}
