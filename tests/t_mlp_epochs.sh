# The mlp model reports its validation score after every epoch, so the median pruner
# stops poor runs part-way through their epochs: on digits some trials end PRUNED at an
# epoch below the maximum, the others report every epoch, and `hps trials --steps`
# shows the curves. Under rigorous CV fold f reports at steps f*1000 + epoch.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
DB=$TMP/m.db
cat >"$TMP/s.yaml" <<Y
study: digits-mlp
n_trials: 16
data: {path: $PWD/data/digits.csv, label: label}
strategy: {type: quick, val_fraction: 0.2, test: {fraction: 0.2}}
objective: {type: mlp, epochs: 12, batch_size: 64, n_iter_no_change: 100}
space:
  hidden_size: {type: int, low: 8, high: 64, log: true}
  learning_rate: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
sampler: {type: random, seed: 3}
pruner: {type: median, n_startup_trials: 4}
Y
"$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" -q >/dev/null
[ "$(count_state FAIL)" = 0 ] || fail "failed: $(sql "SELECT error FROM trials WHERE state = 'FAIL'")"
# Per trial: state and its reported steps (the final refit, number -1, reports none).
sql "SELECT t.number, t.state, COUNT(i.step), MIN(i.step), MAX(i.step), t.value,
            (SELECT value FROM intermediate WHERE trial_id = t.id ORDER BY step DESC LIMIT 1)
     FROM trials t LEFT JOIN intermediate i ON i.trial_id = t.id
     WHERE t.number >= 0 GROUP BY t.id ORDER BY t.number" >"$TMP/curves.txt"
awk -F'|' '$2 == "COMPLETE" && !($3 == 12 && $4 == 1 && $5 == 12 && $6 == $7) {bad=1}
           END {exit bad}' "$TMP/curves.txt" ||
    fail "a complete trial did not report epochs 1..12 ending at its value: $(cat "$TMP/curves.txt")"
early=$(awk -F'|' '$2 == "PRUNED" && $5 < 12 && $3 == $5 && $6 == $7' "$TMP/curves.txt" | wc -l)
pruned=$(count_state PRUNED)
[ "$early" -ge 3 ] || fail "only $early trials pruned before epoch 12: $(cat "$TMP/curves.txt")"
# The listing shows the curves: a pruned trial's steps stop at its last epoch.
"$HPS" trials digits-mlp --db "$DB" --steps --format json >"$TMP/t.json"
python3 - "$TMP/t.json" <<'PY' || fail "trials --steps: $(head -c 600 "$TMP/t.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
trials = doc["trials"] if isinstance(doc, dict) else doc
pruned = [t for t in trials if t["state"] == "PRUNED"]
assert any(len(t["steps"]) < 12 for t in pruned), "no trial listed as pruned before epoch 12"
for t in pruned:
    steps = [s["step"] for s in t["steps"]]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) <= 12, steps  # 12: pruned at its last epoch
PY
# Rigorous: 3 folds of 4 epochs report 1..4, 1001..1004, 2001..2004 and no fold means.
DB=$TMP/r.db
"$HPS" run "$TMP/s.yaml" study=digits-cv n_trials=1 strategy.type=rigorous strategy.folds=3 \
    objective.epochs=4 --db "$DB" -q >/dev/null
steps=$(sql "SELECT GROUP_CONCAT(step) FROM (SELECT i.step FROM intermediate i
             JOIN trials t ON t.id = i.trial_id WHERE t.number = 0 ORDER BY i.step)")
[ "$steps" = "1,2,3,4,1001,1002,1003,1004,2001,2002,2003,2004" ] || fail "rigorous steps: $steps"
echo "ok: $pruned pruned of 16 ($early before epoch 12), curves listed; CV steps by fold"
