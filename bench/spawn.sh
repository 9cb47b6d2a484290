#!/usr/bin/env bash
# bench/spawn.sh — what starting a trial process costs (worker/spawn.h: fork + exec of
# hps). By hand, not part of `make bench`: bench/spawn.sh [HPS...] (default ./hps).
#
# For each binary: a coordinator and one `hps worker --slots 1 --prefetch 1`, a study of
# SPAWN_N synthetic trials that do nothing (sphere, no sleep), run twice: with
# --recycle-after 1 (every trial in a fresh trial process) and --recycle-after 100000
# (one process serves them all). One row per binary:
#   fresh    ms per trial, first lease to last finish (the trials' started/finished), R=1
#   reused   the same with one process
#   start    fresh - reused: what a trial process's start adds, ms
# Env: SPAWN_N trials per run (default 300).   The machine may be shared: the load
# average at the end is printed with each row.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- "$here/../hps"
N=${SPAWN_N:-300}
command -v sqlite3 >/dev/null || { echo "spawn.sh: needs the sqlite3 shell" >&2; exit 2; }
TMP=$(mktemp -d /tmp/hps-spawn-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run HPS RECYCLE: ms per trial, first lease to last finish.
run() {
    local hps=$1 recycle=$2 db=$TMP/s.db ep coord worker
    rm -rf "$db"*
    ep=tcp://127.0.0.1:$(port)
    "$hps" coordinator --bind "$ep" --db "$db" -q 2>"$TMP/coord.log" &
    coord=$!
    PIDS+=("$coord")
    printf '%s\n' "study: spawn" "n_trials: $N" "objective: {type: synthetic, function: sphere}" \
        "space:" "  x: {type: float, low: -5, high: 5}" "sampler: {type: random, seed: 1}" \
        >"$TMP/s.yaml"
    "$hps" submit "$TMP/s.yaml" --to "$ep" >/dev/null
    "$hps" worker --connect "$ep" --name b --slots 1 --prefetch 1 --recycle-after "$recycle" \
        --cache "$TMP/cache" -q 2>"$TMP/worker.log" &
    worker=$!
    PIDS+=("$worker")
    local done="SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'"
    until [ "$(sqlite3 "$db" "$done" 2>/dev/null)" = "$N" ]; do
        kill -0 "$worker" 2>/dev/null || { cat "$TMP/worker.log" >&2; exit 1; }
        sleep 0.2
    done
    kill "$worker" "$coord"
    wait "$worker" "$coord" 2>/dev/null || true
    sqlite3 "$db" \
        "SELECT printf('%.2f', 1000.0 * (MAX(finished) - MIN(started)) / COUNT(*)) FROM trials"
}

printf '%-40s %8s %8s %8s  %s\n' binary fresh reused start load
for hps in "$@"; do
    fresh=$(run "$hps" 1)
    reused=$(run "$hps" 100000)
    printf '%-40s %8s %8s %8s  %s\n' "$hps" "$fresh" "$reused" \
        "$(python3 -c "print(f'{$fresh - $reused:.2f}')")" "$(cut -d' ' -f1 /proc/loadavg)"
done
