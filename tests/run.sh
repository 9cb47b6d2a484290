#!/usr/bin/env bash
# The test runner behind `make check`: unit tests (one child process per module), then
# every tests/t_*.sh integration test (real processes, sockets, SQLite files, kill -9).
# A test that exits 77 cannot run here (a package missing): it is listed as skipped and
# counted neither way. Closes with "N passed, N failed". Env: HPS, SELFTEST, RAWPEER
# (binaries), ONLY (glob of tests).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${HPS:=$here/../hps}" "${SELFTEST:=$here/../build/selftest}" "${RAWPEER:=$here/../build/tests/rawpeer}" \
  "${REFIT:=$here/../build/tests/refit}"
export HPS SELFTEST RAWPEER REFIT
passed=0 failed=0 skipped=() failures=()
export TSAN_OPTIONS="suppressions=$here/tsan.supp" # SANITIZER=thread (see below)
out=$("$SELFTEST" 2>&1)
echo "$out" | grep -E '^(ok|FAIL) '
p=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
f=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
if [ -z "$p" ]; then
    echo "$out" | tail -20
    failed=$((failed + 1)); failures+=("selftest (crashed)")
else
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" -gt 0 ] && { echo "$out" | grep -v '^ok '; failures+=("unit"); }
fi
# Under `make sanitize` every process of every test reports to files here; a test whose
# processes reported anything fails. (Ignored by binaries built without sanitizers.)
sanlog=$(mktemp -d /tmp/hps-san.XXXXXX)
export ASAN_OPTIONS="log_path=$sanlog/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$sanlog/ubsan:print_stacktrace=1:halt_on_error=1"
# SANITIZER=thread: a race report fails the test the same way; tests/tsan.supp lists
# what is not ours to fix, each entry with its reason. die_after_fork=0: every hps
# process has OpenBLAS's pool thread from the start, and `hps run` (like the selftest)
# forks workers that then start ZeroMQ's threads, which TSan refuses by default; they
# fork before any ZeroMQ context exists. A worker's trial processes exec right after
# their fork (worker/spawn.h), so they run nothing in a forked image.
export TSAN_OPTIONS="log_path=$sanlog/tsan:suppressions=$here/tsan.supp:die_after_fork=0"
trap 'rm -rf "$sanlog"' EXIT
for t in "$here"/t_${ONLY:-*}.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .sh)
    log=$(mktemp)
    start=$(date +%s)
    rm -f "$sanlog"/*
    timeout 300 bash "$t" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 77 ]; then # the test cannot run here: shown, counted neither way
        echo "skip $name: $(grep -m1 '^skip: ' "$log" | cut -c7-)"
        skipped+=("$name")
    elif [ $rc -eq 0 ] && [ -z "$(ls -A "$sanlog")" ]; then
        echo "ok   $name ($(( $(date +%s) - start ))s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name ($(( $(date +%s) - start ))s)"
        tail -40 "$log" | sed 's/^/    /'
        for f in "$sanlog"/*; do [ -e "$f" ] && head -30 "$f" | sed 's/^/    san: /'; done
        failed=$((failed + 1)); failures+=("$name")
    fi
    rm -f "$log"
done
[ ${#skipped[@]} -gt 0 ] && echo "skipped (not counted): ${skipped[*]}"
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
