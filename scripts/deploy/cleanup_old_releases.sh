#!/usr/bin/env bash
# After a promotion: deletes every release except the live one (read from CloudFront)
# and any named KEEP releases. Never touches the system profile or profiles of other apps.
set -euo pipefail
usage="usage: $0 [KEEP_RELEASE...]"
[[ ${1:-} != -* ]] || { echo "$usage" >&2; exit 2; }
# shellcheck source=scripts/lib/delivery.sh
source "$(dirname "$0")/../lib/delivery.sh"

live=$(live_release)
# Without a known live release every release would look old: delete nothing.
[[ -n $live ]] || die "CloudFront serves no release; refusing to delete any"
keep=("$live" "$@")
for release in "${keep[@]}"; do check_release "$release"; done

listed=$(fargate_profiles)
mapfile -t profiles <<<"$listed"
deleted=0
for profile in "${profiles[@]}"; do
    [[ -n $profile ]] || continue
    release=$(release_of "$profile")
    [[ -n $release ]] || continue
    for kept in "${keep[@]}"; do
        [[ $release != "$kept" ]] || continue 2
    done
    delete_release "$release"
    deleted=$((deleted + 1))
done
log "deleted $deleted old release(s); kept ${keep[*]}"
