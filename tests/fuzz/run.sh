#!/usr/bin/env bash
# Runs each libFuzzer target given (build-fuzz/fuzz_<name>) for FUZZ_SECS seconds from its
# seed corpus tests/fuzz/corpus/<name>/, one after another, and prints per target the
# executions, the coverage (libFuzzer's cov: edges) and the result. New inputs go to
# <build>/fuzz-work/<name>/corpus (the committed seeds stay as they are), a crash, leak
# or timeout to <build>/fuzz-work/<name>/artifacts/, the whole output to .../log.
# Usage: FUZZ_SECS=60 tests/fuzz/run.sh build-fuzz/fuzz_proto ...
set -uo pipefail
secs=${FUZZ_SECS:-60}
here=$(cd "$(dirname "$0")" && pwd)
failed=0 total=0
printf '%-8s %12s %8s %9s  %s\n' target executions cov secs result
for bin in "$@"; do
    name=${bin##*/fuzz_}
    work=$(dirname "$bin")/fuzz-work/$name
    rm -rf "$work/artifacts" "$work/dir"
    mkdir -p "$work/corpus" "$work/artifacts"
    start=$(date +%s)
    HPS_FUZZ_DIR=$work/dir HPS_FUZZ_CONFIGS=$here/../../configs \
        "$bin" -max_total_time="$secs" -timeout=1 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" "$here/corpus/$name" \
        >"$work/log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    cov=$(grep -o ' cov: [0-9]*' "$work/log" | tail -1 | tr -dc 0-9)
    artifacts=$(ls "$work/artifacts")
    if [ "$rc" -eq 0 ] && [ -z "$artifacts" ]; then
        result="ok: 0 crashes, 0 leaks, 0 timeouts"
    else
        result="FAILED (exit $rc): $(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|ALARM|deadly signal' \
                 "$work/log") ${artifacts:+artifact $work/artifacts/$artifacts}; log $work/log"
        failed=1
    fi
    total=$(( total + ${execs:-0} ))
    printf '%-8s %12s %8s %9s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "$took" "$result"
done
printf '%-8s %12s\n' total "$total"
exit $failed
