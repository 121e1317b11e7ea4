#!/usr/bin/env bash
# The pipeline's AWS control flow against moto (a local AWS API emulator on 127.0.0.1)
# with recording fakes for kubectl/eksctl/helm/docker: which release is live, which
# profiles get deleted, what happens when the smoke test fails.
set -euo pipefail
usage="usage: VENV=.cache/venv-delivery $0"
[[ $# -eq 0 && -n ${VENV:-} ]] || { echo "$usage" >&2; exit 2; }
cd "$(dirname "$0")/../../.."
# shellcheck source=scripts/lib/assert.sh
source scripts/lib/assert.sh
# shellcheck source=scripts/lib/servers.sh
source scripts/lib/servers.sh
root=$PWD
work=$(mktemp -d)
start_servers
STOP_ALSO_REMOVE=("$work")

# The emulator, and an environment that can only reach it.
port=$(free_port)
serve moto "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port"
wait_for "http://127.0.0.1:$port/moto-api/" "$SERVER_LOGS/moto.log" 60
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=$work/none
export AWS_SHARED_CREDENTIALS_FILE=$work/none KUBECONFIG=$work/kubeconfig
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
export REAL_AWS=$VENV/bin/aws REAL_KUBECTL
REAL_KUBECTL=$(command -v kubectl)
fakes=$root/scripts/test/delivery/fakes
export AWS=$fakes/aws KUBECTL=$fakes/kubectl EKSCTL=$fakes/eksctl HELM=$fakes/helm DOCKER=$fakes/docker
export FAKE_LOG=$work/calls.log FAKE_STATE=$work/state POLL_INTERVAL=0.1 WAIT_TIMEOUT=20
mkdir -p "$FAKE_STATE"
: >"$FAKE_LOG"
aws_() { "$REAL_AWS" "$@"; }
profiles() {
    aws_ eks list-fargate-profiles --cluster-name edge-predictor --query 'fargateProfileNames[]' \
        --output text | tr '\t' '\n' | sort | paste -sd' '
}
live_origin() {
    aws_ cloudfront get-distribution-config --id "$dist" \
        --query 'DistributionConfig.[Comment, Origins.Items[0].DomainName]' --output text
}
calls() { grep -c -- "$1" "$FAKE_LOG" || true; }
vpc=$(aws_ ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)
subnet_a=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --query Subnet.SubnetId --output text)
subnet_b=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.2.0/24 --query Subnet.SubnetId --output text)
export FAKE_SUBNET=$subnet_a

echo "ensure_cluster.sh"
check "creates the missing cluster with eksctl -f" scripts/deploy/ensure_cluster.sh
check_eq "eksctl got infra/cluster.yaml" "$(cat infra/cluster.yaml)" "$(cat "$FAKE_STATE/eksctl-cluster.yaml")"
check_eq "the cluster is ACTIVE" ACTIVE "$(aws_ eks describe-cluster --name edge-predictor --query cluster.status --output text)"
check "kubeconfig written for it" grep -q edge-predictor "$KUBECONFIG"
check "a rerun finds the cluster" scripts/deploy/ensure_cluster.sh
check_eq "... and creates nothing" 1 "$(calls 'eksctl create cluster')"
check "another name and region are written into the config" env CLUSTER_NAME=staging AWS_REGION=eu-west-1 \
    AWS_DEFAULT_REGION=eu-west-1 scripts/deploy/ensure_cluster.sh
check "... name staging" grep -qx '  name: staging' "$FAKE_STATE/eksctl-cluster.yaml"
check "... region eu-west-1" grep -qx '  region: eu-west-1' "$FAKE_STATE/eksctl-cluster.yaml"

# What eksctl creates from infra/cluster.yaml, plus profiles that are not releases.
role=arn:aws:iam::123456789012:role/eks-fargate-pods
for name in fp-system other-app-web edge-predictorx; do
    aws_ eks create-fargate-profile --cluster-name edge-predictor --fargate-profile-name "$name" \
        --pod-execution-role-arn "$role" --subnets "$subnet_a" "$subnet_b" \
        --selectors "[{\"namespace\":\"$name\"}]" >/dev/null
done

echo "setup_lb_controller.sh"
check "installs the controller" scripts/deploy/setup_lb_controller.sh
policy=arn:aws:iam::123456789012:policy/edge-predictor-AWSLoadBalancerController
check_eq "the pinned policy is in IAM" "$(jq -S . infra/iam/lb-controller-policy.json)" \
    "$(aws_ iam get-policy-version --policy-arn "$policy" --version-id v1 --query PolicyVersion.Document | jq -S .)"
check "the service account gets that policy" contains "$FAKE_LOG" "--attach-policy-arn $policy"
check "helm installs the pinned chart in the cluster's VPC" contains "$FAKE_LOG" \
    "--version 1.13.4 --set clusterName=edge-predictor --set region=us-east-1 --set vpcId=$vpc"
check "kubectl waits for the controller's rollout" contains "$FAKE_LOG" \
    "kubectl --namespace kube-system rollout status deployment/aws-load-balancer-controller"
check "a rerun" scripts/deploy/setup_lb_controller.sh
check_eq "... keeps one policy version" 1 \
    "$(aws_ iam list-policy-versions --policy-arn "$policy" --query 'length(Versions)')"
jq '.Statement[0].Action += ["ec2:DescribeVpcs"]' infra/iam/lb-controller-policy.json >"$work/policy.json"
check "a changed policy document" env LBC_POLICY_FILE="$work/policy.json" scripts/deploy/setup_lb_controller.sh
check_eq "... becomes the default version v2" v2 \
    "$(aws_ iam get-policy --policy-arn "$policy" --query Policy.DefaultVersionId --output text)"

echo "push_image.sh"
sha=0123456789abcdef0123456789abcdef01234567
check_fails_with "refuses the tag latest" "must be a commit SHA" env IMAGE=edge-predictor TAG=latest scripts/deploy/push_image.sh
check_fails "... before creating anything" aws_ ecr describe-repositories --repository-names edge-predictor
ref=$(IMAGE=edge-predictor TAG=$sha scripts/deploy/push_image.sh)
uri=123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-predictor
digest=$(aws_ ecr describe-images --repository-name edge-predictor --image-ids "imageTag=$sha" \
    --query 'imageDetails[0].imageDigest' --output text)
check_eq "prints the pushed image by digest" "$uri@$digest" "$ref"
check_eq "created the repository with immutable tags" IMMUTABLE "$(aws_ ecr describe-repositories \
    --repository-names edge-predictor --query 'repositories[0].imageTagMutability' --output text)"
check_eq "... scanned on push" True "$(aws_ ecr describe-repositories \
    --repository-names edge-predictor --query 'repositories[0].imageScanningConfiguration.scanOnPush' --output text)"
check "logged in to the registry" contains "$FAKE_LOG" "docker login --username AWS --password-stdin ${uri%%/*}"
check "tagged the local image with the commit" contains "$FAKE_LOG" "docker tag edge-predictor:$sha $uri:$sha"
check "pushed that tag" contains "$FAKE_LOG" "docker push $uri:$sha"
check_eq "a rerun prints the same digest" "$ref" "$(IMAGE=edge-predictor TAG=$sha scripts/deploy/push_image.sh)"
check_eq "... without pushing again" 1 "$(calls 'docker push')"
check "an existing repository is reused for another commit" env IMAGE=edge-predictor TAG=abc1234 scripts/deploy/push_image.sh
check_eq "... one repository" 1 "$(aws_ ecr describe-repositories --query 'length(repositories)')"
check_eq "... two images" 2 "$(aws_ ecr describe-images --repository-name edge-predictor --query 'length(imageDetails)')"

echo "create_release.sh"
check "creates release blue" scripts/deploy/create_release.sh blue
check_eq "its profile uses the system profile's role and subnets" "$role $subnet_a $subnet_b" \
    "$(aws_ eks describe-fargate-profile --cluster-name edge-predictor --fargate-profile-name edge-predictor-blue \
        --query 'fargateProfile.[podExecutionRoleArn, subnets[0], subnets[1]]' --output text | tr '\t' ' ')"
check_eq "... and selects only its namespace" edge-predictor-blue \
    "$(aws_ eks describe-fargate-profile --cluster-name edge-predictor --fargate-profile-name edge-predictor-blue \
        --query 'fargateProfile.selectors[0].namespace' --output text)"
check "the namespace is created" contains "$FAKE_LOG" "kubectl create namespace edge-predictor-blue"
check "a rerun is a no-op" scripts/deploy/create_release.sh blue
check_eq "... one profile create, one namespace create" "1 1" \
    "$(calls 'eks create-fargate-profile') $(calls 'create namespace edge-predictor-blue')"
check_fails_with "a bad release name is refused" "release name" scripts/deploy/create_release.sh Blue
check_eq "the default name comes from the workflow id" wf-1a2b3c4d \
    "$(CIRCLE_WORKFLOW_ID=1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d scripts/deploy/create_release.sh 2>/dev/null)"

echo "deploy_release.sh"
host=$(FAKE_ALB_DELAY=3 scripts/deploy/deploy_release.sh blue "$ref")
check_eq "waits for the ALB and prints its hostname" edge-predictor-blue.alb.example.com "$host"
check_eq "... after polling 4 times" 4 "$(cat "$FAKE_STATE/ingress-polls")"
check "applied release blue with the pushed image" \
    "$VENV/bin/python" scripts/test/delivery/check_release_manifests.py "$FAKE_STATE/applied-1.yaml" blue "$ref"
check "waited for the rollout with a deadline" contains "$FAKE_LOG" \
    "kubectl --namespace edge-predictor-blue rollout status deployment/edge-predictor --timeout 20s"
check_fails "a failed rollout fails the step" env FAKE_ROLLOUT_FAILS=1 scripts/deploy/deploy_release.sh blue "$ref"
rm -f "$FAKE_STATE/ingress-polls"
check_fails_with "no ALB address before the deadline fails" "timed out" \
    env FAKE_ALB_DELAY=1000 WAIT_TIMEOUT=1 scripts/deploy/deploy_release.sh blue "$ref"

echo "promote.sh (blue is live: the distribution CloudFormation would have made)"
dist=$(aws_ cloudfront create-distribution --distribution-config "file://$root/scripts/test/delivery/distribution.json" \
    --query Distribution.Id --output text)
check "create_release green" scripts/deploy/create_release.sh green
check_eq "the live release is read from CloudFront" blue \
    "$(bash -c 'source scripts/lib/delivery.sh && live_release')"
check "promote green through the CloudFront API (PROMOTE_VIA=api)" \
    env PROMOTE_VIA=api scripts/deploy/promote.sh green edge-predictor-green.alb.example.com
check_eq "CloudFront now serves green's ALB" \
    "edge-predictor live release: green	edge-predictor-green.alb.example.com" "$(live_origin)"
check "the update was conditional on the ETag" contains "$FAKE_LOG" "cloudfront update-distribution --id $dist --if-match"
: >"$FAKE_LOG"
check "promote blue through CloudFormation (default)" scripts/deploy/promote.sh blue edge-predictor-blue.alb.example.com
check "... deploys infra/cloudfront.yaml with the release as parameters" contains "$FAKE_LOG" \
    "aws cloudformation deploy --stack-name edge-predictor-cdn --template-file $root/infra/cloudfront.yaml --parameter-overrides AppName=edge-predictor ReleaseName=blue OriginDomainName=edge-predictor-blue.alb.example.com"
check_eq "... and CloudFront serves blue again" \
    "edge-predictor live release: blue	edge-predictor-blue.alb.example.com" "$(live_origin)"
check_fails_with "a stack update that did not switch the origin fails the step" "CloudFront serves 'blue'" \
    env FAKE_CFN=noop scripts/deploy/promote.sh green edge-predictor-green.alb.example.com
check_fails_with "an origin that is no hostname is refused" "not a hostname" \
    env PROMOTE_VIA=api scripts/deploy/promote.sh green 'http://x/'
check_eq "... production still on blue" \
    "edge-predictor live release: blue	edge-predictor-blue.alb.example.com" "$(live_origin)"

echo "smoke test fails -> green deleted, blue untouched"
fake_port=$(free_port)
serve fake-text-drift "$VENV/bin/python" scripts/test/delivery/fake_predictor.py "$fake_port" text-drift
wait_for "http://127.0.0.1:$fake_port/v2/health/ready" "$SERVER_LOGS/fake-text-drift.log" 30
: >"$FAKE_LOG"
check_fails_with "smoke_or_rollback fails on a wrong answer" "rolled back green" \
    env SMOKE_TIMEOUT=5 SMOKE_INTERVAL=0.2 scripts/deploy/smoke_or_rollback.sh green "http://127.0.0.1:$fake_port"
check_eq "green's profile is deleted, every other stays" \
    "edge-predictor-blue edge-predictor-wf-1a2b3c4d edge-predictorx fp-system other-app-web" "$(profiles)"
check "green's ingress went first (its ALB), then its namespace" grep -qx \
    "kubectl delete ingress --all --namespace edge-predictor-green --ignore-not-found --wait --timeout 20s" "$FAKE_LOG"
check "... its namespace" contains "$FAKE_LOG" "kubectl delete namespace edge-predictor-green"
check "nothing of blue was touched" lacks "$FAKE_LOG" "edge-predictor-blue"
check_eq "production still on blue" \
    "edge-predictor live release: blue	edge-predictor-blue.alb.example.com" "$(live_origin)"
check_fails_with "rolling back the live release is refused" "is live" scripts/deploy/rollback_release.sh blue
check "... blue's profile is still there" contains <(profiles | tr ' ' '\n') edge-predictor-blue
check "rolling back an already deleted release is harmless" scripts/deploy/rollback_release.sh green

echo "smoke test passes -> nothing deleted"
good_port=$(free_port)
serve fake-warmup "$VENV/bin/python" scripts/test/delivery/fake_predictor.py "$good_port" warmup
wait_for "http://127.0.0.1:$good_port/" "$SERVER_LOGS/fake-warmup.log" 30
check "create_release green again" scripts/deploy/create_release.sh green
before=$(profiles)
check "smoke_or_rollback passes on the right answer" \
    env SMOKE_TIMEOUT=10 SMOKE_INTERVAL=0.2 scripts/deploy/smoke_or_rollback.sh green "http://127.0.0.1:$good_port"
check_eq "... and deletes nothing" "$before" "$(profiles)"

echo "cleanup_old_releases.sh (green promoted; blue, red and wf-1a2b3c4d are old; keep is kept)"
check "promote green" env PROMOTE_VIA=api scripts/deploy/promote.sh green edge-predictor-green.alb.example.com
check "create releases red and keep" bash -c 'scripts/deploy/create_release.sh red && scripts/deploy/create_release.sh keep'
check_fails_with "with no live release for the app it deletes nothing" "refusing" \
    env APP=other-app scripts/deploy/cleanup_old_releases.sh
: >"$FAKE_LOG"
check "cleanup keeps the live release and 'keep'" scripts/deploy/cleanup_old_releases.sh keep
check_eq "exactly blue, red and wf-1a2b3c4d are gone" \
    "edge-predictor-green edge-predictor-keep edge-predictorx fp-system other-app-web" "$(profiles)"
for gone in blue red wf-1a2b3c4d; do
    check "... namespace edge-predictor-$gone deleted" contains "$FAKE_LOG" "kubectl delete namespace edge-predictor-$gone "
done
check "... nothing of green or keep touched" bash -c "! grep -E 'edge-predictor-(green|keep)' '$FAKE_LOG'"
check_eq "CloudFront still serves green" \
    "edge-predictor live release: green	edge-predictor-green.alb.example.com" "$(live_origin)"

echo "delete_all_infra.sh"
check_fails "needs --yes" scripts/deploy/delete_all_infra.sh
: >"$FAKE_LOG"
check "deletes everything" scripts/deploy/delete_all_infra.sh --yes
check_eq "only the profiles of other apps are left" "edge-predictorx fp-system other-app-web" "$(profiles)"
check "the CDN stack is deleted" contains "$FAKE_LOG" "aws cloudformation delete-stack --stack-name edge-predictor-cdn"
check "the controller is uninstalled" contains "$FAKE_LOG" "helm uninstall aws-load-balancer-controller"
check "the cluster is deleted by eksctl" contains "$FAKE_LOG" "eksctl delete cluster --name edge-predictor"
check_eq "the IAM policy is gone" "" "$(aws_ iam list-policies --scope Local --query 'Policies[].PolicyName' --output text)"
check_fails "the ECR repository is gone" aws_ ecr describe-repositories --repository-names edge-predictor

finish
