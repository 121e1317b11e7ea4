#!/usr/bin/env bash
# Makes RELEASE live: CloudFront's origin becomes the release's ALB hostname. By default
# through the CloudFormation stack of infra/cloudfront.yaml (created on first use);
# PROMOTE_VIA=api edits the existing distribution through the CloudFront API instead.
set -euo pipefail
usage="usage: $0 RELEASE ALB_HOSTNAME   (env: PROMOTE_VIA=cloudformation|api, CDN_STACK_NAME, DISTRIBUTION_ID)"
[[ $# -eq 2 ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

release=$1 origin=$2
check_release "$release"
[[ $origin =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "'$origin' is not a hostname"
previous=$(live_release)
log "live release before: ${previous:-none}; promoting $release ($origin)"

case ${PROMOTE_VIA:-cloudformation} in
cloudformation)
    "$AWS" cloudformation deploy --stack-name "$CDN_STACK_NAME" \
        --template-file "$REPO_ROOT/infra/cloudfront.yaml" \
        --parameter-overrides "AppName=$APP" "ReleaseName=$release" "OriginDomainName=$origin" \
        --tags "app=$APP" --no-fail-on-empty-changeset
    ;;
api)
    id=$(find_distribution)
    [[ -n $id ]] || die "no distribution marked '$LIVE_COMMENT_PREFIX' (create it with PROMOTE_VIA=cloudformation)"
    current=$(mktemp)
    updated=$(mktemp)
    trap 'rm -f "$current" "$updated"' EXIT
    "$AWS" cloudfront get-distribution-config --id "$id" --output json >"$current"
    etag=$(jq -r .ETag "$current")
    jq --arg origin "$origin" --arg comment "$LIVE_COMMENT_PREFIX$release" '
        .DistributionConfig
        | (.DefaultCacheBehavior.TargetOriginId) as $live
        | if ([.Origins.Items[] | select(.Id == $live)] | length) != 1
          then error("the default cache behaviour origin \($live) is missing") else . end
        | .Origins.Items |= map(if .Id == $live then .DomainName = $origin else . end)
        | .Comment = $comment' "$current" >"$updated"
    # If-Match makes a concurrent edit fail instead of being overwritten.
    "$AWS" cloudfront update-distribution --id "$id" --if-match "$etag" \
        --distribution-config "file://$updated" --query Distribution.Status --output text >/dev/null
    "$AWS" cloudfront wait distribution-deployed --id "$id"
    ;;
*) die "PROMOTE_VIA must be cloudformation or api" ;;
esac

now=$(live_release)
[[ $now == "$release" ]] || die "CloudFront serves '${now:-none}' after promoting $release"
log "live release now: $release (was ${previous:-none})"
