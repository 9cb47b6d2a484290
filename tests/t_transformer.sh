# The transformer tier (configs/model/transformer.yaml): a tiny encoder trained from
# scratch by configs/examples/transformer/train_transformer.py through the command
# objective on 200 review rows. Trials report every epoch, the final refit's score is
# the test score, and the study ranks on the leaderboard's accuracy board beside a
# logreg study. The script saves model.pt where $HPS_ARTIFACT_DIR says, and loads it
# back through `pretrained`. Without PyTorch (scripts/deps.sh installs it) the runner shows
# it as skipped, not passed.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "skip: /usr/bin/python3 cannot import torch (scripts/deps.sh installs python3-torch)"
    exit 77
fi
DB=$TMP/tf.db
python3 - data/reviews.csv "$TMP/tiny.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
out = csv.DictWriter(open(sys.argv[2], "w", newline=""), fieldnames=["text", "label", "split"])
out.writeheader()
out.writerows([r for r in rows if r["split"] == "train"][:160] + [r for r in rows if r["split"] == "test"][:40])
PY
small=(data.path="$TMP/tiny.csv" objective.env.HPS_PARAM_MAX_LEN=32
       space.d_model.choices=[16] space.layers.high=1 space.epochs.low=2 space.epochs.high=3)
"$HPS" run configs/reviews.yaml model=transformer study=tiny-transformer n_trials=4 \
    "${small[@]}" -j 2 --db "$DB" -q >/dev/null
[ "$(count_state FAIL)" = 0 ] || fail "failed: $(sql "SELECT error FROM trials WHERE state = 'FAIL'")"
# Search trials report epochs 1..epochs (fewer when pruned) ending at their value.
sql "SELECT t.number, t.state, COUNT(i.step), MAX(i.step), t.value,
            (SELECT value FROM intermediate WHERE trial_id = t.id ORDER BY step DESC LIMIT 1)
     FROM trials t JOIN intermediate i ON i.trial_id = t.id GROUP BY t.id" >"$TMP/curves.txt"
[ "$(wc -l <"$TMP/curves.txt")" = 4 ] || fail "not 4 trials with reports: $(cat "$TMP/curves.txt")"
awk -F'|' '!($3 == $4 && $3 >= 1 && $3 <= 3 && $5 == $6) {bad=1} END {exit bad}' \
    "$TMP/curves.txt" || fail "per-epoch reports: $(cat "$TMP/curves.txt")"
"$HPS" run configs/reviews.yaml model=logreg strategy=quick study=tiny-logreg n_trials=3 \
    data.path="$TMP/tiny.csv" -j 2 --db "$DB" -q >/dev/null
"$HPS" leaderboard --db "$DB" --format json >"$TMP/board.json"
python3 - "$TMP/board.json" <<'PY' || fail "leaderboard: $(cat "$TMP/board.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc if isinstance(doc, list) else doc.get("studies", doc.get("rows"))
by = {r["study"]: r for r in rows}
tf, lr = by["tiny-transformer"], by["tiny-logreg"]
assert tf["model"] == "transformer" and tf["metric"] == lr["metric"] == "accuracy", (tf, lr)
assert 0 <= tf["test_score"] <= 1 and {tf["rank"], lr["rank"]} == {1, 2}, (tf, lr)
PY
# The artifact, and the same file as pretrained weights for a new run.
mkdir "$TMP/art"
HPS_DATA=$TMP/tiny.csv HPS_FINAL=1 HPS_ARTIFACT_DIR=$TMP/art HPS_PARAM_D_MODEL=16 \
    HPS_PARAM_LAYERS=1 HPS_PARAM_EPOCHS=1 HPS_PARAM_MAX_LEN=32 \
    /usr/bin/python3 configs/examples/transformer/train_transformer.py >"$TMP/final.out"
[ -s "$TMP/art/model.pt" ] || fail "no model.pt in HPS_ARTIFACT_DIR"
grep -q report "$TMP/final.out" && fail "a final refit printed reports: $(cat "$TMP/final.out")"
HPS_DATA=$TMP/tiny.csv HPS_PARAM_D_MODEL=16 HPS_PARAM_LAYERS=1 HPS_PARAM_EPOCHS=1 \
    HPS_PARAM_MAX_LEN=32 HPS_PARAM_PRETRAINED=$TMP/art/model.pt \
    /usr/bin/python3 configs/examples/transformer/train_transformer.py >"$TMP/pre.out" \
    2>"$TMP/pre.err" || fail "pretrained run: $(cat "$TMP/pre.err")"
grep -q "pretrained .*model.pt: 18 tensors loaded$" "$TMP/pre.err" ||
    fail "pretrained weights not loaded whole: $(cat "$TMP/pre.err")"
echo "ok: 4 trials with per-epoch reports, a test score, on the accuracy board with logreg;" \
     "model.pt saved and loaded as pretrained"
