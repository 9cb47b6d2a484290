#!/usr/bin/env bash
# The scenario end to end (part of `make bench`): rigorous 5-fold, 100 TPE trials,
# logreg on reviews, 2 local workers; hps against Optuna + scikit-learn
# (cross_val_score, n_jobs=2) on the same data and split, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
HPS=${HPS:-./hps}
tmp=$(mktemp -d /tmp/hps-scenario.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
run_hps() { # run_hps NAME ARGS...: wall seconds, then the leaderboard row
    local name=$1; shift
    local s e
    s=$(date +%s.%N)
    "$HPS" run configs/reviews.yaml strategy=rigorous model=logreg n_trials=100 "study=$name" \
        -j 2 --db "$tmp/s.db" -q "$@" >/dev/null
    e=$(date +%s.%N)
    python3 -c "print(f'{$e - $s:.1f}')"
}
t_np=$(run_hps scen-nopruner pruner.type=none)
t_p=$(run_hps scen-median)
echo '```'
echo "hps, no pruner:     wall ${t_np} s"
echo "hps, median pruner: wall ${t_p} s"
"$HPS" leaderboard --db "$tmp/s.db" --format md
/usr/bin/python3 -W ignore bench/scenario_optuna.py --trials 100 --jobs 2
echo '```'
