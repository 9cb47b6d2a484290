#!/usr/bin/env bash
# make soak: chaos on one machine. A coordinator and workers run a study while a random
# one of them is killed with -9 and restarted; then everything runs to the end and the
# invariants are checked: exactly n_trials COMPLETE, every number 0..n-1 once, no trial
# completed twice (at most one non-stale COMPLETE TELL per trial).
#
# SOAK_MODE=random (default): 3 workers, random sampler, 20,000 trials of 2 ms, a kill
#   every 1-3 s for SOAK_SECS (default 120).
# SOAK_MODE=tpe: 8 workers, TPE sampler, 1,000 trials of SOAK_SLEEP_MS (default 300);
#   the killer runs a shuffled schedule of at least SOAK_WORKER_KILLS (10) worker and
#   SOAK_COORD_KILLS (5) coordinator kills, one every 0.5-1.5 s, and fails if the study
#   ended before the last one. SOAK_STOPS (default 3) more entries SIGSTOP a worker for
#   2.5 s (past its 1.5 s lease) and then SIGCONT it, so that late (stale) TELLs happen.
# Knobs: SOAK_TRIALS, SOAK_WORKERS, SOAK_SLEEP_MS, SOAK_KILL_MIN/SOAK_KILL_MAX (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
HPS=${HPS:-./hps}
mode=${SOAK_MODE:-random}
case $mode in
random) def_n=20000 def_w=3 def_sleep=2 def_kmin=1 def_kmax=3 sampler="{type: random, seed: 1}" ;;
tpe) def_n=1000 def_w=8 def_sleep=300 def_kmin=0.5 def_kmax=1.5 sampler="{type: tpe, seed: 1}" ;;
*) echo "soak: SOAK_MODE must be random or tpe, not '$mode'" >&2; exit 2 ;;
esac
secs=${SOAK_SECS:-120}
n=${SOAK_TRIALS:-$def_n}
nw=${SOAK_WORKERS:-$def_w}
sleep_ms=${SOAK_SLEEP_MS:-$def_sleep}
kmin=${SOAK_KILL_MIN:-$def_kmin}
kmax=${SOAK_KILL_MAX:-$def_kmax}
wkills=${SOAK_WORKER_KILLS:-10}
ckills=${SOAK_COORD_KILLS:-5}
stops=${SOAK_STOPS:-3}
tmp=$(mktemp -d /tmp/hps-soak.XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
db=$tmp/soak.db
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ep=tcp://127.0.0.1:$port
cat >"$tmp/s.yaml" <<Y
study: soak
n_trials: $n
objective: {type: synthetic, function: sphere, sleep_ms: $sleep_ms}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
sampler: $sampler
Y
workers=()
for i in $(seq 1 "$nw"); do workers+=("w$i"); done
declare -A pid
declare -A killed=([coord]=0 [worker]=0 [stop]=0)
start() { # start coord | wN
    if [ "$1" = coord ]; then
        "$HPS" coordinator --bind "$ep" --db "$db" --heartbeat-ms 200 --lease-ms 1500 -q 2>>"$tmp/coord.log" &
    else
        "$HPS" worker --connect "$ep" --name "$1" -q 2>>"$tmp/$1.log" &
    fi
    pid[$1]=$!
}
# A restarted coordinator may lose the race for <db>.blobs/coordinator.lock (or the port)
# against the one just killed; it then exits at once: start it again.
revive_coord() {
    kill -0 "${pid[coord]}" 2>/dev/null && return 0
    wait "${pid[coord]}" 2>/dev/null || true
    echo "soak: coordinator exited on its own, restarting" >&2
    start coord
}
kill_one() { # kill_one victim
    kill -9 "${pid[$1]}" 2>/dev/null || true
    wait "${pid[$1]}" 2>/dev/null || true
    if [ "$1" = coord ]; then killed[coord]=$((killed[coord] + 1)); else killed[worker]=$((killed[worker] + 1)); fi
    start "$1"
}
pause_one() { # pause_one worker: SIGSTOP it past its lease, SIGCONT it in the background
    local p=${pid[$1]}
    kill -STOP "$p" 2>/dev/null || true
    (sleep 2.5; kill -CONT "$p" 2>/dev/null || true) &
    killed[stop]=$((killed[stop] + 1))
}
nap() { sleep "$(python3 -c "import random; print(random.uniform($kmin, $kmax))")"; }
done_yet() { "$HPS" status --db "$db" --json 2>/dev/null | grep -q '"state": "done"'; }
t0=$(date +%s.%N)
start coord
for w in "${workers[@]}"; do start "$w"; done
"$HPS" submit "$tmp/s.yaml" --to "$ep" >/dev/null
if [ "$mode" = tpe ]; then
    schedule=$(python3 -c "
import random
s = ['coord'] * $ckills + [random.choice('${workers[*]}'.split()) for _ in range($wkills)]
s += ['stop:' + random.choice('${workers[*]}'.split()) for _ in range($stops)]
random.shuffle(s); print(' '.join(s))")
    for victim in $schedule; do
        nap
        revive_coord
        if done_yet; then
            echo "soak: the study ended after ${killed[worker]} worker and ${killed[coord]} coordinator kills, before the schedule ($wkills + $ckills): raise SOAK_SLEEP_MS" >&2
            exit 1
        fi
        case $victim in stop:*) pause_one "${victim#stop:}" ;; *) kill_one "$victim" ;; esac
    done
else
    end=$(( $(date +%s) + secs ))
    while [ "$(date +%s)" -lt "$end" ]; do
        nap
        revive_coord
        kill_one "$(python3 -c "import random; print(random.choice('coord ${workers[*]}'.split()))")"
    done
fi
until done_yet; do revive_coord; sleep 1; done
t1=$(date +%s.%N)
python3 - "$db" "$n" "${killed[worker]}" "${killed[coord]}" "${killed[stop]}" "$mode" "$t0" "$t1" <<'PY'
import sqlite3, sys
db, n, wk, ck, st, mode = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
wall = float(sys.argv[8]) - float(sys.argv[7])
c = sqlite3.connect(db)
q = lambda sql: c.execute(sql).fetchone()
total, = q("SELECT COUNT(*) FROM trials")
complete, distinct, lo, hi = q("SELECT COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number)"
                               " FROM trials WHERE state = 'COMPLETE'")
lost = n - distinct if distinct is not None else n
twice, = q("SELECT COUNT(*) FROM (SELECT trial_id FROM tells WHERE stale = 0 AND state = 'COMPLETE'"
           " GROUP BY trial_id HAVING COUNT(*) > 1)")
retried, = q("SELECT COUNT(*) FROM trials WHERE attempt > 1")
stale, = q("SELECT COUNT(*) FROM tells WHERE stale = 1")
print(f"soak ({mode}): {wk} worker + {ck} coordinator kills, {st} worker stops; {complete}/{n} COMPLETE, "
      f"{distinct} distinct numbers, {total} rows, {lost} lost, {twice} completed twice, "
      f"{retried} retried, {stale} stale TELLs; {wall:.1f} s")
ok = complete == n == distinct == total and lo == 0 and hi == n - 1 and twice == 0
sys.exit(0 if ok else 1)
PY
