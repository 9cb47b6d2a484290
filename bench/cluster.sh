#!/usr/bin/env bash
# Cluster benchmarks (part of `make bench`): durable trial throughput of hps against
# Optuna (2 processes sharing SQLite) on a no-op objective, the coordinator's CPU cost
# per message, and connected idle workers. Prints a Markdown table; raw numbers go to
# $OUT (default docs/bench-cluster.json).
# Env: HPS and HPS_BENCH (binaries), N_HPS (trials per hps run, default 20000), N_OPTUNA (default 2000),
#      IDLE (idle worker counts to try, default "1000 4000 8000")
set -euo pipefail
cd "$(dirname "$0")/.."
HPS=${HPS:-./hps}
HPS_BENCH=${HPS_BENCH:-./hps-bench}
N_HPS=${N_HPS:-20000}
N_OPTUNA=${N_OPTUNA:-2000}
IDLE=${IDLE:-"1000 4000 8000"}
OUT=${OUT:-docs/bench-cluster.json}
tmp=$(mktemp -d /tmp/hps-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat >"$tmp/noop.yaml" <<Y
study: noop
n_trials: $N_HPS
objective: {type: synthetic, function: noop}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
sampler: {type: random, seed: 1}
Y
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# 1. throughput: hps run -j 2 (embedded, durable SQLite WAL), three runs, median
for i in 1 2 3; do
    rm -rf "$tmp"/t.db*
    s=$(date +%s.%N)
    "$HPS" run "$tmp/noop.yaml" -j 2 --db "$tmp/t.db" -q >/dev/null
    e=$(date +%s.%N)
    python3 -c "print($N_HPS / ($e - $s))"
done >"$tmp/hps.txt"
hps_rate=$(median <"$tmp/hps.txt")
for i in 1 2 3; do
    rm -rf "$tmp"/t.db*
    s=$(date +%s.%N)
    "$HPS" run "$tmp/noop.yaml" -j 2 --db "$tmp/t.db" -q --sync full >/dev/null
    e=$(date +%s.%N)
    python3 -c "print($N_HPS / ($e - $s))"
done >"$tmp/hps_full.txt"
hps_full=$(median <"$tmp/hps_full.txt")
opt=$(/usr/bin/python3 bench/optuna_throughput.py "$N_OPTUNA" 2)
opt_rate=$(echo "$opt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["per_sec"])')

# 2. per-message cost: standalone coordinator, 2 workers, SIGTERM when done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ep=tcp://127.0.0.1:$port
"$HPS" coordinator --bind "$ep" --db "$tmp/m.db" 2>"$tmp/coord.log" &
cpid=$!
"$HPS" worker --connect "$ep" --name b1 -q & "$HPS" worker --connect "$ep" --name b2 -q &
"$HPS" submit "$tmp/noop.yaml" --to "$ep" >/dev/null
until "$HPS" status --db "$tmp/m.db" --json | grep -q '"state": *"done"'; do sleep 0.5; done
kill -TERM "$cpid"; wait "$cpid" || true
per_msg=$(sed -n 's/.*handled \([0-9]*\) messages, \([0-9.]*\) us CPU per message.*/\2/p' "$tmp/coord.log")
n_msgs=$(sed -n 's/.*handled \([0-9]*\) messages.*/\1/p' "$tmp/coord.log")
kill $(jobs -p) 2>/dev/null || true

# 3. idle workers: the largest count all welcomed and all heartbeats answered
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$HPS" coordinator --bind "tcp://127.0.0.1:$port" --db "$tmp/i.db" -q &
ipid=$!
idle_best=0
for n in $IDLE; do
    r=$("$HPS_BENCH" idle --connect "tcp://127.0.0.1:$port" --workers "$n" --secs 5 || true)
    echo "idle $n: $r" >&2
    ok=$(echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(int(r["welcomed"]==r["opened"] and r["heartbeats_answered"]==r["heartbeats_sent"]))' 2>/dev/null || echo 0)
    [ "$ok" = 1 ] && idle_best=$n
done
kill "$ipid" 2>/dev/null || true

ratio=$(python3 -c "print($hps_rate / $opt_rate)")
mkdir -p "$(dirname "$OUT")"
printf '{"hps_trials_per_sec": %.0f, "hps_sync_full_trials_per_sec": %.0f, "optuna_trials_per_sec": %s, "ratio": %.1f, "coordinator_us_per_message": %s, "messages": %s, "idle_workers": %s, "n_hps": %s, "n_optuna": %s}\n' \
    "$hps_rate" "$hps_full" "$opt_rate" "$ratio" "$per_msg" "$n_msgs" "$idle_best" "$N_HPS" "$N_OPTUNA" >"$OUT"
cat <<T
| benchmark | hps | peer | ratio |
|---|---:|---:|---:|
| durable trials/s, no-op objective, 2 local workers | $(printf %.0f "$hps_rate") | Optuna $opt_rate | $(printf %.1f "$ratio")x |
| same, SQLite synchronous=FULL (power-loss durable) | $(printf %.0f "$hps_full") | | |
| coordinator CPU per message | ${per_msg} us ($n_msgs msgs) | | |
| connected idle workers (all heartbeats answered) | $idle_best | | |
T
