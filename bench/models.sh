#!/usr/bin/env bash
# Model benchmarks (part of `make bench`): train time at equal accuracy against
# scikit-learn and Python xgboost, same data and split, same machine, same run.
# Prints each side's lines verbatim (fenced), for docs/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
HPS_BENCH=${HPS_BENCH:-./hps-bench}
py=/usr/bin/python3
fence() { echo '```'; "$@" 2>&1; echo '```'; echo; }
echo "### logreg on reviews TF-IDF (C=10) vs scikit-learn"
echo
fence $py bench/models.py --hps-bench "$HPS_BENCH" --repeat 5
echo "### mlp on digits (200 epochs) vs scikit-learn MLPClassifier, 3 alternating rounds"
echo
for r in 1 2 3; do
    fence env OPENBLAS_NUM_THREADS=1 "$HPS_BENCH" mlp-xgb mlp data/digits.csv --repeat 5 n_iter_no_change=200
    fence env OPENBLAS_NUM_THREADS=1 $py -W ignore bench/models_peers.py mlp data/digits.csv --repeat 5 n_iter_no_change=200
done
echo "### xgboost on diamonds (53,940 rows) vs Python xgboost, 3 alternating rounds"
echo
for r in 1 2 3; do
    fence "$HPS_BENCH" mlp-xgb xgboost data/diamonds.csv --repeat 3
    fence $py -W ignore bench/models_peers.py xgboost data/diamonds.csv --repeat 3
done
