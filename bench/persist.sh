#!/usr/bin/env bash
# Persistent command objectives against Optuna in one process (not part of make check).
#
#   bench/persist.sh [svc|latency|cluster|overhead|all]   (default all; RUNS=n timed runs,
#                                                           default 5)
#
# svc: the svc_wine study (configs/examples/svc_wine: sklearn SVC on data/wine.csv,
#   5-fold CV, C and gamma log-scale, 30 trials) as whole processes, run in turn round
#   after round (bench/persist_pairs.py): Optuna in one process
#   (bench/persist_svc_optuna.py), `hps run -j 1` and `-j 2` (persistent), and `-j 2`
#   with persistent: false (a program per trial); each hps figure also as a ratio to
#   Optuna's run of the same round, and the load average before and after.
# latency: `hps run` of a 1-trial study of the in-process synthetic objective, from
#   start to exit (its start and stop: coordinator, workers, one trial process).
# cluster: the same study submitted to a coordinator whose workers already run (as on a
#   cluster: `hps run`'s own start and stop are not counted): 1 worker with 1 slot, then
#   2 workers; the time from `hps submit` to the last trial's end (each run a new study
#   name, so each starts its Python programs afresh), against Optuna as above.
# overhead: 1000 trials of a no-op Python objective (bench/persist_noop.py) through the
#   persistent protocol, 1000 trials of the in-process synthetic objective (hps's own
#   cost of a trial), and the same Python function called 1000 times in one process.
#   The protocol's cost of a trial is (persistent - synthetic) / 1000.
# Each figure is the median wall time of RUNS runs after one warm-up. Python is Debian's
# /usr/bin/python3 (python3-sklearn, python3-optuna), also for hps's `python3`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
what=${1:-all}
runs=${RUNS:-5}
export PATH=/usr/bin:$PATH
scripts/deps.sh --bench # python3-sklearn, python3-optuna
tmp=$(mktemp -d /tmp/hps-bench-persist.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
make -s hps

# median LABEL CMD...: warm up once, time RUNS runs, print the median wall seconds
median() {
    local label=$1 i t; shift
    "$@" >/dev/null 2>&1
    for ((i = 0; i < runs; i++)); do
        rm -rf "$tmp"/[a-z].db*
        t=$(python3 -c 'import subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(time.perf_counter() - t)' "$@")
        echo "$t"
    done | sort -g | awk -v l="$label" '{v[NR] = $1} END {printf "%-44s %8.3f s  (min %.3f, max %.3f)\n", l, v[int((NR + 1) / 2)], v[1], v[NR]}'
}

if [ "$what" = svc ] || [ "$what" = all ]; then
    python3 -c 'import sklearn, optuna' || { echo "needs python3-sklearn and python3-optuna" >&2; exit 2; }
    cfg=configs/examples/svc_wine/svc_wine.yaml
    echo "svc_wine, 30 trials, 5-fold CV (median of $runs rounds):"
    python3 bench/persist_pairs.py --runs "$runs" --clean "$tmp/[a-z].db*" \
        "optuna, one process=python3 bench/persist_svc_optuna.py 30" \
        "hps run -j 1, persistent=./hps run $cfg -j 1 --db $tmp/a.db -q" \
        "hps run -j 2, persistent=./hps run $cfg -j 2 --db $tmp/b.db -q" \
        "hps run -j 2, a program per trial=./hps run $cfg -j 2 --db $tmp/c.db -q
         objective.persistent=false objective.restart_every=null"
fi

if [ "$what" = latency ] || [ "$what" = all ]; then
    printf '%s\n' "study: one" "direction: minimize" "n_trials: 1" \
        "space: {x: {type: float, low: -5, high: 5}}" "sampler: {type: random, seed: 1}" \
        "objective: {type: synthetic, function: sphere}" >"$tmp/one.yaml"
    echo "hps run of a 1-trial study, start to exit (median of $runs runs):"
    median "hps run -j 1, 1 synthetic trial" ./hps run "$tmp/one.yaml" -j 1 --db "$tmp/l.db" -q
fi

if [ "$what" = cluster ] || [ "$what" = all ]; then
    ep=tcp://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    pids=()
    trap 'kill "${pids[@]}" 2>/dev/null; wait; rm -rf "$tmp"' EXIT
    ./hps coordinator --bind "$ep" --db "$tmp/cl.db" -q & pids+=($!)
    echo "svc_wine on running workers, submit to done (median of $runs runs):"
    for n in 1 2; do
        ./hps worker --connect "$ep" --name "w$n" -q & pids+=($!)
        median "$n worker(s), 1 slot each" python3 bench/persist_submit.py "$ep" "$tmp/cl.db"
    done
fi

if [ "$what" = overhead ] || [ "$what" = all ]; then
    space='space: {x: {type: float, low: -5, high: 5}}'
    printf '%s\n' "study: noop" "direction: minimize" "n_trials: 1000" "$space" \
        "sampler: {type: random, seed: 1}" \
        "objective: {type: command, run: [python3, $here/bench/persist_noop.py], persistent: true, env: {PYTHONPATH: $here/python}}" >"$tmp/noop.yaml"
    printf '%s\n' "study: syn" "direction: minimize" "n_trials: 1000" "$space" \
        "sampler: {type: random, seed: 1}" "objective: {type: synthetic, function: sphere}" >"$tmp/syn.yaml"
    echo "1000 trials, one slot (median of $runs runs):"
    median "hps run, persistent no-op Python objective" ./hps run "$tmp/noop.yaml" -j 1 --db "$tmp/n.db" -q
    median "hps run, synthetic objective (in process)" ./hps run "$tmp/syn.yaml" -j 1 --db "$tmp/s.db" -q
    PYTHONPATH=python python3 bench/persist_noop.py --loop 1000
    # inside: the time the trial process spent on a trial (the trials' secs column)
    ./hps run "$tmp/noop.yaml" -j 1 --db "$tmp/n1.db" -q >/dev/null
    ./hps run "$tmp/syn.yaml" -j 1 --db "$tmp/s1.db" -q >/dev/null
    for db in n1 s1; do
        python3 - "$tmp/$db.db" <<'PY'
import sqlite3, statistics, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT secs, started, finished FROM trials WHERE state = 'COMPLETE' "
                   "ORDER BY number").fetchall()
secs = sorted(r[0] * 1e3 for r in rows[1:])  # the first trial starts the program
span = (rows[-1][2] - rows[1][1]) * 1e3 / (len(rows) - 1)
print("%-44s %8.3f ms a trial in its process (p90 %.3f), %.3f ms a trial overall"
      % (("persistent no-op" if "n1" in sys.argv[1] else "synthetic") + ", trials 2-1000:",
         statistics.median(secs), secs[int(0.9 * len(secs))], span))
PY
    done
fi
