#!/usr/bin/env bash
# make soak: chaos on one machine. A coordinator and 3 workers run a study while a
# random one of them is killed with -9 and restarted every 1-3 s for SOAK_SECS
# (default 120); then everything runs to the end and the invariants are checked:
# exactly n_trials COMPLETE, every number once, no trial completed twice.
set -euo pipefail
cd "$(dirname "$0")/.."
HPS=${HPS:-./hps}
secs=${SOAK_SECS:-120}
n=${SOAK_TRIALS:-20000}
tmp=$(mktemp -d /tmp/hps-soak.XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
db=$tmp/soak.db
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ep=tcp://127.0.0.1:$port
cat >"$tmp/s.yaml" <<Y
study: soak
n_trials: $n
objective: {type: synthetic, function: sphere, sleep_ms: 2}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
sampler: {type: random, seed: 1}
Y
declare -A pid
start() { # start coord | w1 | w2 | w3
    if [ "$1" = coord ]; then
        "$HPS" coordinator --bind "$ep" --db "$db" --heartbeat-ms 200 --lease-ms 1500 -q 2>>"$tmp/coord.log" &
    else
        "$HPS" worker --connect "$ep" --name "$1" -q 2>>"$tmp/$1.log" &
    fi
    pid[$1]=$!
}
for p in coord w1 w2 w3; do start $p; done
"$HPS" submit "$tmp/s.yaml" --to "$ep" >/dev/null
kills=0
end=$(( $(date +%s) + secs ))
while [ "$(date +%s)" -lt "$end" ]; do
    sleep "$(python3 -c 'import random; print(random.uniform(1, 3))')"
    victim=$(python3 -c 'import random; print(random.choice(["coord", "w1", "w2", "w3"]))')
    kill -9 "${pid[$victim]}" 2>/dev/null || true
    wait "${pid[$victim]}" 2>/dev/null || true
    kills=$((kills + 1))
    start "$victim"
done
until "$HPS" status --db "$db" --json | grep -q '"state": "done"'; do sleep 1; done
python3 - "$db" "$n" "$kills" <<'PY'
import sqlite3, sys
db, n, kills = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(db)
complete, distinct, total = c.execute("SELECT SUM(state = 'COMPLETE'), COUNT(DISTINCT number), COUNT(*) FROM trials").fetchone()
twice = c.execute("SELECT COUNT(*) FROM (SELECT trial_id FROM tells WHERE stale = 0 GROUP BY trial_id HAVING COUNT(*) > 1)").fetchone()[0]
retried = c.execute("SELECT COUNT(*) FROM trials WHERE attempt > 1").fetchone()[0]
stale = c.execute("SELECT COUNT(*) FROM tells WHERE stale = 1").fetchone()[0]
print(f"soak: {kills} kills; {complete}/{n} COMPLETE, {distinct} distinct numbers, {total} rows, "
      f"{retried} retried, {stale} stale TELLs, {twice} completed twice")
sys.exit(0 if complete == n == distinct == total and twice == 0 else 1)
PY
