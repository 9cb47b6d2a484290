#!/usr/bin/env bash
# bench/flood.sh — a legitimate worker's throughput under a HELLO flood (issue 12, item 9).
# One coordinator, one real worker (1 slot) running 25 ms trials, then `hps-bench idle`
# opening N connections that HELLO and heartbeat every second. Prints trials/s per
# second before and during the flood on stderr, and one JSON line on stdout: the means,
# during/before in percent, the coordinator's CPU during the flood (percent of a core)
# and its peak RSS. Used by tests/t_flood.sh.
# Env: HPS, HPS_BENCH (binaries), FLOOD (connections, default 10000), SECS (each phase, 10),
#      HB (coordinator --heartbeat-ms, default 1000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HPS=${HPS:-$here/../hps} HPS_BENCH=${HPS_BENCH:-$here/../hps-bench}
FLOOD=${FLOOD:-10000} SECS=${SECS:-10} HB=${HB:-1000}
tmp=$(mktemp -d /tmp/hps-flood.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ep=tcp://127.0.0.1:$port db=$tmp/f.db
"$HPS" coordinator --bind "$ep" --db "$db" --heartbeat-ms "$HB" -q 2>"$tmp/coord.log" & pids+=($!)
coord=$!
cat >"$tmp/s.yaml" <<YAML
study: flood
n_trials: 1000000
objective: {type: synthetic, function: sphere, sleep_ms: 25}
sampler: {type: random, seed: 1}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
YAML
until "$HPS" submit "$tmp/s.yaml" --to "$ep" --timeout 2 >/dev/null 2>&1; do sleep 0.2; done
"$HPS" worker --connect "$ep" --name real --slots 1 -q 2>"$tmp/worker.log" & pids+=($!)
done_count() {
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM trials WHERE state = \"COMPLETE\"").fetchone()[0])' "$db"
}
# sample LABEL: trials completed in each of SECS seconds; prints them and the mean
sample() {
    local prev now rates=()
    prev=$(done_count)
    for _ in $(seq "$SECS"); do
        sleep 1
        now=$(done_count)
        rates+=($((now - prev)))
        prev=$now
    done
    echo "$1: ${rates[*]}" >&2
    echo "${rates[*]}" | tr ' ' '\n' | awk '{s += $1} END {printf "%.1f\n", s / NR}'
}
until [ "$(done_count)" -gt 20 ]; do sleep 0.2; done
base=$(sample "before (trials/s)")
"$HPS_BENCH" idle --connect "$ep" --workers "$FLOOD" --secs $((SECS + 3)) >"$tmp/idle.json" 2>/dev/null & pids+=($!)
bench=$!
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
c0=$(ticks "$coord") b0=$(ticks "$bench")
flood=$(sample "during a flood of $FLOOD (trials/s)")
c1=$(ticks "$coord") b1=$(ticks "$bench")
hz=$(getconf CLK_TCK)
cpu=$(( (c1 - c0) * 100 / hz / SECS ))
echo "CPU during the flood: coordinator $cpu%, hps-bench idle $(( (b1 - b0) * 100 / hz / SECS ))% of a core" >&2
rss=$(awk '/^VmHWM/ {print $2}' "/proc/$coord/status")
wait "$bench" || true
echo "hps-bench idle: $(cat "$tmp/idle.json")" >&2
pct=$(python3 -c "print(round($flood / $base * 100))")
echo "mean before $base/s, during $flood/s: $pct% of before; coordinator peak RSS $rss kB" >&2
echo "{\"flood\": $FLOOD, \"before\": $base, \"during\": $flood, \"percent\": $pct, \"coord_cpu\": $cpu, \"peak_rss_kb\": $rss}"
