#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz + libFuzzer, targets in fuzz/): builds every target,
# runs each for SECONDS_PER_TARGET with corpora kept in .cache/fuzz/, prints execs and findings.
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, every target)
#
# The toolchain is stable 1.95 (rust-toolchain.toml); cargo-fuzz needs `-Zsanitizer=address`,
# so the build runs with RUSTC_BOOTSTRAP=1 (the stable compiler accepting nightly flags).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

usage() { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
seconds=60
if [ $# -gt 0 ]; then
    case "$1" in
        -h|--help) usage ;;
        ''|*[!0-9]*) usage ;;
        *) seconds=$1; shift ;;
    esac
fi
[ "$seconds" -gt 0 ] || usage

all_targets=(payload_decode route_table v2_infer grpc_infer model_bytes model_mutations model_repository csv_batch parquet_batch
    number_grammar kernels_differential)
targets=("${@:-${all_targets[@]}}")
for t in "${targets[@]}"; do
    [ -f "fuzz/fuzz_targets/$t.rs" ] || { echo "unknown target: $t" >&2; usage; }
done

# The dictionary of each target, where one helps.
dict_of() {
    case "$1" in
        payload_decode) echo fuzz/dicts/json.dict ;;
        route_table) echo fuzz/dicts/routes.dict ;;
        v2_infer) echo fuzz/dicts/v2.dict ;;
        model_bytes) echo fuzz/dicts/model.dict ;;
        csv_batch) echo fuzz/dicts/csv.dict ;;
        number_grammar) echo fuzz/dicts/number.dict ;;
        *) echo "" ;;
    esac
}

# cargo-fuzz, pinned, installed once into .cache/tools (like scripts/lib/wasmtime.sh).
CARGO_FUZZ_VERSION=0.13.1
cargo_fuzz="$root/.cache/tools/cargo-fuzz-$CARGO_FUZZ_VERSION/bin/cargo-fuzz"
if [ "$("$cargo_fuzz" fuzz --version 2>/dev/null | cut -d' ' -f2)" != "$CARGO_FUZZ_VERSION" ]; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION (about 2 minutes, once)" >&2
    cargo install cargo-fuzz --version "=$CARGO_FUZZ_VERSION" --locked \
        --root "$root/.cache/tools/cargo-fuzz-$CARGO_FUZZ_VERSION" >&2
fi

export RUSTC_BOOTSTRAP=1
# AddressSanitizer's quarantine of freed memory (256 MB by default) counts in the RSS that
# -rss_limit_mb=512 limits: with model_bytes' corpus of ~3,000 model files (38 MB) it alone
# took the process to 522 MB and an out-of-memory "finding" that no input causes (each runs
# in 30 ms). A 16 MB quarantine (use-after-free still caught for recently freed blocks) puts
# the same run at 215 MB. An ASAN_OPTIONS of the caller's wins.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"
target_dir="${CARGO_TARGET_DIR:-$root/.cache/fuzz/target}"
triple=$(rustc -vV | sed -n 's/^host: //p')
start=$SECONDS
echo "building ${#targets[@]} fuzz targets (release, debug assertions, AddressSanitizer)"
# cargo fuzz build takes one target or all of them: all (one build, shared dependencies).
(cd fuzz && "$cargo_fuzz" fuzz build -O --target-dir "$target_dir") >&2
built=$((SECONDS - start))

status=0
summary=()
for t in "${targets[@]}"; do
    corpus=".cache/fuzz/corpus/$t"
    artifacts=".cache/fuzz/artifacts/$t"
    log=".cache/fuzz/logs/$t.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    args=(-max_total_time="$seconds" -rss_limit_mb=512 -timeout=2 -print_final_stats=1
        -artifact_prefix="$artifacts/")
    dict=$(dict_of "$t")
    [ -n "$dict" ] && args+=(-dict="$dict")
    seeds=()
    [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
    echo "fuzzing $t for ${seconds}s (log: $log)"
    rc=0
    "$target_dir/$triple/release/$t" "${args[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(find "$corpus" -type f | wc -l)
    findings=$(grep -c 'Test unit written to' "$log" || true)
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "  FINDING in $t (exit $rc), inputs in $artifacts/:" >&2
        grep -E '^(==[0-9]+==ERROR|thread .* panicked|SUMMARY|.*panicked at)' "$log" | head -5 >&2 || true
    fi
    summary+=("$(printf '%-22s %12s %8s %6s %7s %7s %9s' "$t" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$corp" "$findings")")
done

echo
printf '%-22s %12s %8s %6s %7s %7s %9s\n' target execs exec/s cov ft corpus findings
printf '%s\n' "${summary[@]}"
echo "build ${built}s, total $((SECONDS - start))s, ${seconds}s per target; corpora in .cache/fuzz/corpus/"
exit "$status"
