#!/usr/bin/env bash
# The seed's user script: POSTs the README sample to a running server and prints the answer.
set -euo pipefail
usage="usage: $0 HOST PORT   (e.g. $0 localhost 8080)"
[[ $# -eq 2 ]] || { echo "$usage" >&2; exit 2; }
sample='{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}'
echo "Port: $2" >&2
curl --silent --show-error --fail-with-body --max-time 10 \
    --header 'Content-Type: application/json' --data "$sample" "http://$1:$2/predict"
echo
