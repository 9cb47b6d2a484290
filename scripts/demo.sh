#!/usr/bin/env bash
# make demo: tune the review-sentiment model (logreg and xgboost) under the three
# evaluation strategies with local workers, then print the leaderboard.
# Usage: scripts/demo.sh [HPS]   env: DEMO_DB (default demo.db), DEMO_WORKERS (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
HPS=${1:-./hps}
db=${DEMO_DB:-demo.db}
workers=${DEMO_WORKERS:-2}
rm -rf "$db" "$db-wal" "$db-shm" "$db.blobs"
# Trials per model and strategy: trees cost seconds a trial on text, logreg milliseconds.
declare -A trials=([logreg-quick]=4 [logreg-balanced]=20 [logreg-rigorous]=20
                   [xgboost-quick]=3 [xgboost-balanced]=8 [xgboost-rigorous]=5)
for model in logreg xgboost; do
    for strategy in quick balanced rigorous; do
        n=${trials[$model-$strategy]}
        echo "== $model / $strategy ($n trials)" >&2
        "$HPS" run configs/reviews.yaml "model=$model" "strategy=$strategy" \
            "study=reviews-$model-$strategy" "n_trials=$n" -j "$workers" --db "$db" -q >/dev/null
    done
done
echo
"$HPS" leaderboard --db "$db"
echo
echo "promote the best rigorous study:  $HPS promote reviews-logreg-rigorous --db $db --stage production"
