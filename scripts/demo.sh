#!/usr/bin/env bash
# make demo: tune the review-sentiment model (logreg and xgboost) under the three
# evaluation strategies with local workers, print the leaderboard, and say how to promote.
# Usage: scripts/demo.sh [HPS]   env: DEMO_DB (default demo.db), DEMO_WORKERS (default 2)
#
# Two `hps run --multirun` commands, one per model, each one study per evaluation
# strategy (reviews-logreg-quick, ...) on the same local workers; their progress
# (trials finished, best so far, ETA) goes to stderr, so it shows here whether or not
# this runs on a terminal. About 40 s on a 2-core machine, most of it the xgboost
# studies (trees on the 1,000-4,000 most telling terms cost about a second a fit;
# logreg costs milliseconds).
set -euo pipefail
cd "$(dirname "$0")/.."
HPS=${1:-./hps}
db=${DEMO_DB:-demo.db}
workers=${DEMO_WORKERS:-2}
rm -rf "$db" "$db-wal" "$db-shm" "$db.blobs"
runs=(logreg:15 xgboost:3) # model:trials per study
rows=$(($(wc -l <data/reviews.csv) - 1))
echo "hps demo: 6 studies (logreg and xgboost x quick, balanced and rigorous evaluation)" \
     "on data/reviews.csv ($rows reviews) with $workers local workers, under a minute on a" \
     "2-core machine. Results go to $db."
start=$(date +%s)
for r in "${runs[@]}"; do
    IFS=: read -r model n <<<"$r"
    echo
    echo "hps run configs/reviews.yaml --multirun study=reviews-$model model=$model" \
         "strategy=quick,balanced,rigorous n_trials=$n -j $workers"
    t0=$(date +%s)
    # stdout (each run's own leaderboard) is dropped: the combined one comes at the end.
    "$HPS" run configs/reviews.yaml --multirun "study=reviews-$model" "model=$model" \
        strategy=quick,balanced,rigorous "n_trials=$n" -j "$workers" --db "$db" >/dev/null
    echo "      finished in $(($(date +%s) - t0)) s"
done
echo
echo "All studies finished in $(($(date +%s) - start)) s. The leaderboard:"
echo
"$HPS" leaderboard --db "$db"
"$HPS" report --db "$db" -o demo-report.html 2>/dev/null &&
    echo "The plots of every study, offline: demo-report.html"
echo
echo "Next: the saved models, promote the rigorous logreg one, predict with it, see every"
echo "trial, or run a study yourself:"
echo "  $HPS models --db $db"
echo "  $HPS promote reviews-logreg-rigorous --db $db --stage staging"
echo "  $HPS predict reviews-logreg-rigorous@staging data/reviews.csv --db $db --score"
echo "  $HPS trials reviews-logreg-rigorous --db $db"
echo "  $HPS run configs/reviews.yaml -j 2            # 20 trials, a few seconds"
echo "  $HPS run configs/reviews.yaml --multirun strategy=quick,rigorous n_trials=10,20 -j 2"
