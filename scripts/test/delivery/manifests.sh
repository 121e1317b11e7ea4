#!/usr/bin/env bash
# Static checks of everything the pipeline ships: rendered releases (content, and
# kubernetes-validate --strict for two EKS versions), CloudFormation, CircleCI config,
# IAM policy, Dockerfile, every script, every YAML file.
set -euo pipefail
usage="usage: VENV=.cache/venv-delivery $0"
[[ $# -eq 0 && -n ${VENV:-} ]] || { echo "$usage" >&2; exit 2; }
cd "$(dirname "$0")/../../.."
# shellcheck source=scripts/lib/assert.sh
source scripts/lib/assert.sh
bin=$VENV/bin
# Kubernetes versions EKS supports (standard support) that the manifests must satisfy.
k8s_versions=(1.33.0 1.34.0)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "rendered releases"
tree_sum() { find k8s -type f -print0 | sort -z | xargs -0 sha256sum; ls -a k8s k8s/*; }
k8s_before=$(tree_sum)
digest_image=123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-predictor@sha256:$(printf '%064d' 7)
tag_image=123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-predictor:0123abc
check "render green with an image digest" scripts/deploy/render_release.sh green "$digest_image"
scripts/deploy/render_release.sh green "$digest_image" >"$work/green.yaml"
scripts/deploy/render_release.sh wf-1a2b3c4d "$tag_image" >"$work/wf.yaml"
check "green: namespace, labels, selectors, image, probes, hardening" \
    "$bin/python" scripts/test/delivery/check_release_manifests.py "$work/green.yaml" green "$digest_image"
check "wf-1a2b3c4d: the same with a commit tag" \
    "$bin/python" scripts/test/delivery/check_release_manifests.py "$work/wf.yaml" wf-1a2b3c4d "$tag_image"
check_fails "the checker rejects a release rendered for another name" \
    "$bin/python" scripts/test/delivery/check_release_manifests.py "$work/wf.yaml" green "$tag_image"
check_fails "the checker rejects another image" \
    "$bin/python" scripts/test/delivery/check_release_manifests.py "$work/green.yaml" green "$tag_image"
check_fails_with "an image tagged latest is refused" "not :latest" \
    scripts/deploy/render_release.sh green 123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-predictor:latest
check_fails_with "an untagged image is refused" "neither a tag nor a digest" \
    scripts/deploy/render_release.sh green 123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-predictor
check_fails_with "an invalid release name is refused" "release name" scripts/deploy/render_release.sh Green_1 "$tag_image"
check_eq "rendering leaves k8s/ as it was" "$k8s_before" "$(tree_sum)"
for version in "${k8s_versions[@]}"; do
    check "kubernetes-validate --strict, Kubernetes $version" \
        "$bin/kubernetes-validate" --strict --quiet -k "$version" "$work/green.yaml" "$work/wf.yaml"
done
# The validator must catch a wrong field, or the checks above prove nothing.
sed 's/readOnlyRootFilesystem: true/readOnlyRootFileSystem: true/' "$work/green.yaml" >"$work/typo.yaml"
check_fails "kubernetes-validate --strict rejects a misspelt field" \
    "$bin/kubernetes-validate" --strict --quiet -k "${k8s_versions[0]}" "$work/typo.yaml"

echo "infrastructure and pipeline definitions"
check "cfn-lint infra/cloudfront.yaml" "$bin/cfn-lint" infra/cloudfront.yaml
check "check-jsonschema vendor.circle-ci .circleci/config.yml" \
    "$bin/check-jsonschema" --builtin-schema vendor.circle-ci .circleci/config.yml
check "yamllint .circleci/ infra/ k8s/" "$bin/yamllint" --strict -c infra/yamllint.yaml .circleci infra k8s
check "the IAM policy is valid JSON" "$bin/python" -m json.tool infra/iam/lb-controller-policy.json
for action in elasticloadbalancing:CreateLoadBalancer elasticloadbalancing:RegisterTargets \
    elasticloadbalancing:CreateTargetGroup ec2:CreateSecurityGroup ec2:DescribeSubnets; do
    check "the IAM policy allows $action" grep -q "\"$action\"" infra/iam/lb-controller-policy.json
done
dockerfiles=$(git ls-files --cached --others --exclude-standard -- 'Dockerfile' '*/Dockerfile' '*.Dockerfile')
if [[ -n $dockerfiles ]]; then
    for file in $dockerfiles; do check "hadolint $file" "$bin/hadolint" "$file"; done
else
    echo "  note: no Dockerfile in the tree yet, hadolint has nothing to check"
fi
mapfile -t scripts < <(git ls-files --cached --others --exclude-standard -- 'scripts/*.sh' 'scripts/**/*.sh')
mapfile -t fakes < <(git ls-files --cached --others --exclude-standard -- 'scripts/test/delivery/fakes/*')
check "shellcheck -x on ${#scripts[@]} scripts and ${#fakes[@]} fakes" \
    "$bin/shellcheck" -x "${scripts[@]}" "${fakes[@]}"

finish
