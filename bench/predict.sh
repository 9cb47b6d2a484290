#!/usr/bin/env bash
# bench/predict.sh — `hps predict` throughput (issue 14): rows/s of a saved model
# applied to a whole bundled dataset. By hand, not part of `make bench`:
#   make build/tests/refit && bench/predict.sh        (PREDICT_RUNS=7 by default)
# The artifacts come from a final refit (build/tests/refit, what a worker's final task
# runs): logreg on reviews (TF-IDF, C 10, min_df 2) and xgboost on diamonds (150 rounds,
# depth 6, eta 0.1). Each is then applied to its whole data file PREDICT_RUNS times; a
# row reports the median wall time inside hps predict (load the artifact, read the CSV,
# transform, predict, write) as rows/s, the median process user+sys CPU seconds, and the
# 1-minute load average (the machine may be shared).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${PREDICT_RUNS:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
study() { # NAME DATA-LINE OBJECTIVE-LINE STRATEGY-LINE
    mkdir -p "$tmp/$1"
    printf '%s\n' "study: $1" "n_trials: 1" "$2" "$3" "$4" \
        'space: {ngram_max: {type: int, low: 1, high: 2}}' >"$tmp/$1.yaml"
    "$root/build/tests/refit" "$tmp/$1.yaml" "$tmp/$1" >/dev/null
}
study logreg "data: {path: $root/data/reviews.csv, label: label, text: [text]}" \
    "objective: {type: logreg, C: 10, min_df: 2, max_iter: 200}" \
    "strategy: {type: balanced, test: {column: split, value: test}}"
study xgboost "data: {path: $root/data/diamonds.csv, target: target}" \
    "objective: {type: xgboost, n_rounds: 150, max_depth: 6, eta: 0.1}" \
    "strategy: {type: balanced, test: {fraction: 0.2}}"
echo "| model | data | rows | rows/s (median of $runs) | CPU s (user+sys, median) | load |"
echo "|---|---|---:|---:|---:|---:|"
for m in "logreg reviews" "xgboost diamonds"; do
    set -- $m
    for i in $(seq "$runs"); do
        /usr/bin/time -f "cpu %U %S" "$root/hps" predict "$tmp/$1/model.hpsm" \
            "$root/data/$2.csv" -o "$tmp/$1/pred.csv" 2>>"$tmp/$1.log"
    done
    python3 - "$tmp/$1.log" "$1" "$2" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
runs = [(int(n), float(s)) for n, s in re.findall(r"(\d+) rows in ([0-9.]+) s", text)]
cpu = [float(u) + float(s) for u, s in re.findall(r"cpu ([0-9.]+) ([0-9.]+)", text)]
secs = statistics.median(s for _, s in runs)
print(f"| {sys.argv[2]} | {sys.argv[3]} | {runs[0][0]:,} | {runs[0][0] / secs:,.0f} "
      f"| {statistics.median(cpu):.2f} | {sys.argv[4]} |")
PY
done
