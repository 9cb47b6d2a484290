#!/usr/bin/env bash
# bench/scale.sh — a large study file (issue 12, "Faults and scale, measured").
# Builds a study of N trials with the random sampler on a no-op objective (hps run -j 2),
# a copy of it relabelled as a TPE study (see s_relabel), and a study of NT trials run
# with TPE; then, for each file:
#   * `hps status --db`, `hps leaderboard --db` and `hps trials --format csv` (every
#     trial, params decoded) wall time, median of REPS runs;
#   * coordinator restart to the first new trial: n_trials is raised by 100 in the file
#     (the study is running again), a worker is started first, then the coordinator;
#     the time from the coordinator's start to the first new trial COMPLETE in the file.
# The restart replays every stored trial into the study's sampler (for TPE: rebuilding
# its observations), which is what grows with the file.
# Then IDLE connected idle workers on one coordinator: its CPU in the steady state.
# Prints one line per measurement on stderr and one JSON line on stdout.
# Env: HPS, HPS_BENCH (binaries), IDLE (default 1000; 0 skips), IDLE_SECS (15), N (default 1000000), NT (default 20000), REPS (default 5),
#      KEEP=DIR (build the files there and keep them; an existing file is reused).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HPS=${HPS:-$here/../hps} HPS_BENCH=${HPS_BENCH:-$here/../hps-bench}
N=${N:-1000000} NT=${NT:-20000} REPS=${REPS:-5} IDLE=${IDLE:-1000} IDLE_SECS=${IDLE_SECS:-15}
pids=()
if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP" && tmp=$KEEP
    trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null' EXIT
else
    tmp=$(mktemp -d /tmp/hps-scale.XXXXXX)
    trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null
          rm -rf "$tmp"' EXIT
fi
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$@"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# s_build NAME SAMPLER TRIALS: the file $tmp/NAME.db with one done study NAME.
s_build()
{
    local db=$tmp/$1.db
    cat >"$tmp/$1.yaml" <<YAML
study: $1
n_trials: $3
objective: {type: synthetic, function: noop}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
sampler: {type: $2, seed: 1}
YAML
    if [ -f "$db" ]; then
        echo "scale: reusing $db" >&2
        return
    fi
    local s e
    s=$(now)
    "$HPS" run "$tmp/$1.yaml" -j 2 --db "$db" -q >/dev/null
    e=$(now)
    echo "scale: built $1 ($3 trials, $2) in $(elapsed "$s" "$e") s" >&2
}

# s_relabel NAME: $tmp/NAME.db, a copy of $tmp/big.db whose study is NAME with the TPE
# sampler: N stored trials that a restart replays into TPE (building an N-trial study
# with TPE itself takes about an hour; the trials were drawn at random, the replay is
# the same).
s_relabel()
{
    [ -f "$tmp/$1.db" ] && return
    sqlite3 "$tmp/big.db" "VACUUM INTO '$tmp/$1.db'"
    sqlite3 "$tmp/$1.db" "UPDATE studies SET name = '$1', config = json_set(config,
                          '$.study', '$1', '$.sampler.type', 'tpe')"
}

# s_wall CMD...: median wall time of REPS runs, in seconds.
s_wall()
{
    local s e
    for _ in $(seq "$REPS"); do
        s=$(now)
        "$@" >/dev/null
        e=$(now)
        elapsed "$s" "$e"
    done | median
}

# s_restart NAME: seconds from a coordinator's start on the file (with a worker already
# started) to the first new trial COMPLETE. The study gets 100 more trials to run.
s_restart()
{
    local db=$tmp/$1.db done
    done=$(sqlite3 "$db" "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id
                          WHERE s.name = '$1' AND t.kind = 'search'")
    sqlite3 "$db" "UPDATE studies SET state = 'running', finished = NULL,
                   config = json_set(config, '$.n_trials', $done + 100) WHERE name = '$1'"
    local port ep
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ep=tcp://127.0.0.1:$port
    "$HPS" worker --connect "$ep" --name scale-w -q & pids+=($!)
    local s e first=""
    s=$(now)
    "$HPS" coordinator --bind "$ep" --db "$db" 2>"$tmp/$1.coord.log" & pids+=($!)
    local coord=$!
    local deadline=$((SECONDS + 120))
    while [ -z "$first" ] && [ $SECONDS -lt $deadline ]; do
        first=$(sqlite3 "$db" "SELECT 1 FROM trials WHERE study_id = (SELECT id FROM studies
                WHERE name = '$1') AND kind = 'search' AND number >= $done AND state = 'COMPLETE'
                LIMIT 1" 2>/dev/null || true)
        [ -n "$first" ] || sleep 0.02
    done
    e=$(now)
    [ -n "$first" ] || { echo "scale: no new trial within 120 s" >&2; exit 1; }
    elapsed "$s" "$e"
    kill -TERM "$coord" "${pids[-2]}" 2>/dev/null || true
    wait "$coord" 2>/dev/null || true
}

out="{"
s_build big random "$N"
s_relabel bigtpe
s_build tpe tpe "$NT"
for spec in "big random $N" "bigtpe tpe $N" "tpe tpe $NT"; do
    set -- $spec
    n=$(sqlite3 "$tmp/$1.db" "SELECT COUNT(*) FROM trials")
    st=$(s_wall "$HPS" status --db "$tmp/$1.db")
    lb=$(s_wall "$HPS" leaderboard --db "$tmp/$1.db")
    tc=$(s_wall "$HPS" trials "$1" --db "$tmp/$1.db" --format csv)
    rs=$(s_restart "$1")
    rp=$(sed -n 's/.*stored trials replayed in \([0-9.]*\) s.*/\1/p' "$tmp/$1.coord.log" | tail -1)
    echo "scale: $1 ($n trials, $2 sampler): status ${st} s, leaderboard ${lb} s," \
         "trials csv ${tc} s," \
         "restart to first new trial ${rs} s (replay ${rp} s)" >&2
    out+="\"$1\": {\"trials\": $n, \"sampler\": \"$2\", \"status_s\": $st,"
    out+=" \"leaderboard_s\": $lb, \"trials_csv_s\": $tc, \"restart_s\": $rs, \"replay_s\": ${rp:-null}}, "
done

# Idle workers: IDLE connections that HELLO and heartbeat every second (hps-bench idle)
# on one coordinator (default --heartbeat-ms 1000); its CPU (utime + stime from
# /proc/PID/stat) over IDLE_SECS of the steady period, once every worker was welcomed.
if [ "$IDLE" = 0 ]; then
    echo "${out%, }}"
    exit 0
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -rf "$tmp"/idle.db*
"$HPS" coordinator --bind "tcp://127.0.0.1:$port" --db "$tmp/idle.db" -q & pids+=($!)
coord=$!
"$HPS_BENCH" idle --connect "tcp://127.0.0.1:$port" --workers "$IDLE" --secs $((IDLE_SECS + 8)) \
    >"$tmp/idle.json" & pids+=($!)
deadline=$((SECONDS + 60))
until [ "$(sqlite3 "$tmp/idle.db" "SELECT COUNT(*) FROM workers" 2>/dev/null)" = "$IDLE" ]; do
    [ $SECONDS -lt $deadline ] || { echo "scale: $IDLE workers not welcomed" >&2; exit 1; }
    sleep 0.1
done
sleep 2 # the welcome burst is over
tck=$(getconf CLK_TCK)
a=$(awk '{print $14 + $15}' "/proc/$coord/stat") s=$(now)
sleep "$IDLE_SECS"
b=$(awk '{print $14 + $15}' "/proc/$coord/stat") e=$(now)
cpu=$(python3 -c "print('%.1f' % (100 * ($b - $a) / $tck / ($e - $s)))")
wait "${pids[-1]}"
echo "scale: $IDLE idle workers: coordinator CPU $cpu% of a core; $(cat "$tmp/idle.json")" >&2
out+="\"idle\": {\"workers\": $IDLE, \"coordinator_cpu_pct\": $cpu,"
out+=" \"bench\": $(cat "$tmp/idle.json")}"
echo "$out}"
