#!/usr/bin/env bash
# The delivery checks of `make test`: installs the pinned check tools into a cached venv
# (.cache/venv-delivery, rebuilt when infra/requirements-check.txt changes), then runs
# the static checks, the smoke test tests and the AWS control-flow tests (moto).
set -euo pipefail
usage="usage: $0   (env: PYTHON [python3], CARGO_TARGET_DIR)"
[[ $# -eq 0 ]] || { echo "$usage" >&2; exit 2; }
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
# The physical path: .ci/run links .cache to a cache that outlives the clone, and a
# venv's scripts name their interpreter by the path the venv was created at.
mkdir -p .cache
venv=$(cd .cache && pwd -P)/venv-delivery
stamp="$(sha256sum infra/requirements-check.txt | cut -c1-64) $("$python" -c 'import sys; print(sys.version.split()[0])')"
if [[ ! -x $venv/bin/python || $(cat "$venv/.stamp" 2>/dev/null) != "$stamp" ]]; then
    echo "installing the delivery check tools into $venv (a few minutes, once)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r infra/requirements-check.txt
    echo "$stamp" >"$venv/.stamp"
fi
if ! command -v jq >/dev/null; then
    apt-get update -qq && apt-get install -y -qq jq
fi
if ! kubectl kustomize --help >/dev/null 2>&1; then
    echo "kubectl with kustomize (v5) is needed to render k8s/ (the machine image ships it)" >&2
    exit 1
fi

export VENV=$venv PYTHON=$venv/bin/python
total_passed=0 total_failed=0 status=0
for test in manifests smoke aws_flow; do
    echo "--- scripts/test/delivery/$test.sh"
    log=$(mktemp)
    bash "scripts/test/delivery/$test.sh" 2>&1 | tee "$log" || status=1
    if summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1); then
        read -r p _ f _ <<<"$summary"
        total_passed=$((total_passed + p)) total_failed=$((total_failed + f))
    else
        echo "scripts/test/delivery/$test.sh ended without a summary" >&2
        status=1
    fi
    rm -f "$log"
done
echo "delivery: $total_passed passed, $total_failed failed"
exit "$status"
