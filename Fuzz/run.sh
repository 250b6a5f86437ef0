#!/usr/bin/env bash
# Builds FacePay's libFuzzer targets (this folder's package) and runs each for a bounded time.
# Exits non-zero when any target crashes or breaks a property; prints, per target, how many
# inputs libFuzzer executed.
#
#   bash Fuzz/run.sh                          every target, 60 s each (FACEPAY_FUZZ_SECONDS)
#   bash Fuzz/run.sh --seconds 3600 --target payment-body
#   bash Fuzz/run.sh --target query -- -max_len=256     extra flags go to libFuzzer
#   bash Fuzz/run.sh --build-only
#
# New inputs and crash artifacts go to a temporary folder (FACEPAY_FUZZ_WORK to choose it), never
# into the committed seed corpus of corpus/<target>/. Reproduce a crash with
#   Fuzz/.build-fuzz/release/<target> <artifact>
set -euo pipefail
cd "$(dirname "$0")"

targets_all=(strict-json payment-body verification-body enrolment-body face-evidence query)
seconds="${FACEPAY_FUZZ_SECONDS:-60}"
targets=()
extra=()
build_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --target) targets+=("$2"); shift 2 ;;
        --build-only) build_only=1; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")
case "$seconds" in ''|*[!0-9]*) echo "run.sh: --seconds wants a whole number, got '$seconds'" >&2; exit 2 ;; esac
for target in "${targets[@]}"; do
    [ -d "Sources/$target" ] || { echo "run.sh: no fuzz target '$target' (have: ${targets_all[*]})" >&2; exit 2; }
done

# libFuzzer without its main() ships with the toolchain's clang runtime, next to `swift` itself.
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
fuzzer_lib="$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -n 1 || true)"
[ -n "$fuzzer_lib" ] || { echo "run.sh: no libclang_rt.fuzzer_no_main under $toolchain/lib/clang" >&2; exit 1; }

echo "== building the fuzz targets (release, ASan, coverage) with $fuzzer_lib"
swift build -c release --scratch-path .build-fuzz \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp -Xswiftc -sanitize=address \
    -Xlinker "$fuzzer_lib" -Xlinker -lstdc++
bin="$(swift build -c release --scratch-path .build-fuzz --show-bin-path)"
[ $build_only -eq 0 ] || exit 0

work="${FACEPAY_FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/facepay-fuzz.XXXXXX")}"
echo "== fuzzing ${#targets[@]} target(s), ${seconds} s each; new inputs and artifacts in $work"
failed=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
    log="$work/$target/fuzz.log"
    echo "-- $target"
    # The first corpus folder receives new inputs; the committed seeds are only read.
    set +e
    "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 \
        -artifact_prefix="$work/$target/artifacts/" ${extra[@]+"${extra[@]}"} \
        "$work/$target/corpus" "corpus/$target" >"$log" 2>&1
    status=$?
    set -e
    executions="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
    artifacts="$(ls -A "$work/$target/artifacts")"
    if [ $status -ne 0 ] || [ -n "$artifacts" ]; then
        failed=1
        summary+=("$(printf '%-18s %12s executions  FAILED (exit %s)' "$target" "${executions:-?}" "$status")")
        echo "   FAILED (exit $status): the end of $log:"
        grep -v '^#[0-9]' "$log" | tail -n 40 | sed 's/^/   | /'
        for artifact in $artifacts; do
            echo "   artifact: $work/$target/artifacts/$artifact   (reproduce: $bin/$target $work/$target/artifacts/$artifact)"
        done
    else
        summary+=("$(printf '%-18s %12s executions  ok' "$target" "$executions")")
        # libFuzzer separates the count from DONE with a tab; no match must not end the script.
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed 's/^/   /' || true
    fi
done

echo "== fuzz summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
