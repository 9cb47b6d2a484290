# Model artifacts and `hps predict`: the final refit of every model family writes
# model.hpsm (build/tests/refit runs it in-process, as a worker's final task does), and
# `hps predict --score` on the study's test split reproduces the refit's test score to
# the last bit; --proba adds a probability column per class. A CSV missing columns
# exits 2 naming them, an unknown column exits 2 unless --ignore-extra, a flipped byte
# or another format version in the artifact is refused with exit 2.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "${REFIT:-}" ] || fail "REFIT (build/tests/refit) is not set"
D=$root/data

# study NAME DATA-LINE OBJECTIVE-LINE STRATEGY-LINE: a one-model study file.
study() {
    mkdir -p "$TMP/$1"
    printf '%s\n' "study: $1" "n_trials: 1" "$2" "$3" "$4" \
        'space: {ngram_max: {type: int, low: 1, high: 2}}' >"$TMP/$1.yaml"
}
quick="strategy: {type: quick, test: {fraction: 0.2}}"
study lr "data: {path: $D/reviews.csv, label: label, text: [text]}" \
    "objective: {type: logreg, C: 10, min_df: 2}" \
    "strategy: {type: rigorous, folds: 3, test: {column: split, value: test}}"
study lrwine "data: {path: $D/wine.csv, label: label}" "objective: {type: logreg, C: 2}" \
    "strategy: {type: quick, metric: logloss, test: {fraction: 0.3}}"
study ridge "data: {path: $D/diabetes.csv, target: target}" \
    "objective: {type: ridge, alpha: 0.5}" "$quick"
study mlp "data: {path: $D/digits.csv, label: label}" \
    "objective: {type: mlp, hidden_size: 32, epochs: 15}" "$quick"
study xgbr "data: {path: $D/diamonds.csv, target: target}" \
    "objective: {type: xgboost, n_rounds: 30, max_depth: 4}" "$quick"
study xgbc "data: {path: $D/breast_cancer.csv, label: label}" \
    "objective: {type: xgboost, n_rounds: 20, max_depth: 3}" "$quick"
# trees on text through chi2 feature selection (select_k): the kept columns are saved
study xgbt "data: {path: $D/reviews.csv, label: label, text: [text]}" \
    "objective: {type: xgboost, n_rounds: 20, max_depth: 3, select_k: 300}" \
    "strategy: {type: quick, test: {column: split, value: test}}"
# two text columns (the first 4 words as a title): a predict CSV may list them in another order
python3 - "$D/reviews.csv" "$TMP/rev2.csv" <<'PY'
import csv, sys
w = csv.writer(open(sys.argv[2], "w", newline=""))
w.writerow(["title", "body", "label", "split"])
for r in csv.DictReader(open(sys.argv[1])):
    words = r["text"].split()
    w.writerow([" ".join(words[:4]), " ".join(words[4:]), r["label"], r["split"]])
PY
study lr2 "data: {path: $TMP/rev2.csv, label: label, text: [title, body]}" \
    "objective: {type: logreg, C: 10, min_df: 2}" \
    "strategy: {type: quick, test: {column: split, value: test}}"
# select_k sees the fit rows only: 'gamma' says nothing of the label in the training
# rows (every row the same length, so its weight is the same in both classes) and
# everything in the test rows, 'alpha' the reverse; fitted on the training rows,
# select_k 1 keeps alpha, so a row with gamma predicts exactly as one without it.
python3 - "$TMP/leak.csv" <<'PY'
import csv, sys
w = csv.writer(open(sys.argv[1], "w", newline=""))
w.writerow(["text", "label", "split"])
for i in range(400):
    y, test = i % 2, i >= 200
    if test:
        words = ["gamma" if y else "delta", "delta"]
    else:
        words = ["gamma" if (i // 2) % 2 else "delta",
                 "alpha" if (i // 2) % 10 < (7 if y else 3) else "delta"]
    w.writerow([" ".join(["the", "movie"] + words), y, "test" if test else "train"])
PY
printf 'text\nthe movie gamma delta\nthe movie delta delta\n' >"$TMP/leak_probe.csv"
mkdir -p "$TMP/leak"
printf '%s\n' "study: leak" "n_trials: 1" "data: {path: $TMP/leak.csv, label: label, text: [text]}" \
    "objective: {type: logreg, C: 10, min_df: 1, ngram_max: 1, select_k: 1}" \
    "strategy: {type: quick, test: {column: split, value: test}}" \
    'space: {C: {type: float, low: 1, high: 10}}' >"$TMP/leak.yaml"
for s in lr lrwine ridge mlp xgbr xgbc xgbt lr2 leak; do
    recorded=$("$REFIT" "$TMP/$s.yaml" "$TMP/$s") || fail "$s: refit failed"
    [ -s "$TMP/$s/model.hpsm" ] || fail "$s: no artifact"
    "$HPS" predict "$TMP/$s/model.hpsm" "$TMP/$s/test.csv" --score -o "$TMP/$s/pred.csv" \
        2>"$TMP/$s/err" || fail "$s: predict: $(cat "$TMP/$s/err")"
    got=$(sed -n 's/^[a-z0-9_]*=//p' "$TMP/$s/err")
    [ "$got" = "$recorded" ] || fail "$s: predict scores $got, the refit recorded $recorded"
    rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1])))-1)' \
        "$TMP/$s/test.csv")
    [ "$(($(wc -l <"$TMP/$s/pred.csv") - 1))" = "$rows" ] || fail "$s: not one prediction per row"
done
python3 - "$TMP/lr2/test.csv" "$TMP/lr2/swapped.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
w = csv.DictWriter(open(sys.argv[2], "w", newline=""), ["label", "body", "title"], extrasaction="ignore")
w.writeheader()
w.writerows(rows)
PY
"$HPS" predict "$TMP/lr2/model.hpsm" "$TMP/lr2/swapped.csv" --score -o "$TMP/lr2/p2.csv" \
    2>"$TMP/lr2/err2" || fail "text columns in another order: $(cat "$TMP/lr2/err2")"
[ "$(sed -n 's/^[a-z0-9_]*=//p' "$TMP/lr2/err2")" = "$(sed -n 's/^[a-z0-9_]*=//p' "$TMP/lr2/err")" ] \
    || fail "text columns swapped: $(cat "$TMP/lr2/err2") against $(cat "$TMP/lr2/err")"
# a label the model never saw is named by its file line (a blank line before it counts)
{ head -2 "$TMP/lr2/swapped.csv"; echo; echo 'no-such-class,x,y'; } >"$TMP/lr2/unk.csv"
expect_err 2 "unk.csv:4: label column 'label' holds a class the model does not know" \
    "$HPS" predict "$TMP/lr2/model.hpsm" "$TMP/lr2/unk.csv" --score -o "$TMP/lr2/p3.csv"
"$HPS" predict "$TMP/leak/model.hpsm" "$TMP/leak_probe.csv" --proba -o "$TMP/leak.pred" \
    2>/dev/null || fail "predict leak probe"
[ "$(sed -n 2p "$TMP/leak.pred" | cut -d, -f2-)" = "$(sed -n 3p "$TMP/leak.pred" | cut -d, -f2-)" ] \
    || fail "select_k kept a column chosen with the test rows: $(cat "$TMP/leak.pred")"
head -1 "$TMP/lr/pred.csv" | grep -qx label || fail "prediction column: $(head -1 "$TMP/lr/pred.csv")"
# Probabilities: one column per class (wine has three), rows summing to 1.
"$HPS" predict "$TMP/lrwine/model.hpsm" "$TMP/lrwine/test.csv" --proba >"$TMP/proba.csv" \
    2>/dev/null || fail "--proba"
head -1 "$TMP/proba.csv" | grep -qx 'label,p_0,p_1,p_2' || fail "--proba header: $(head -1 "$TMP/proba.csv")"
python3 - "$TMP/proba.csv" <<'PY' || fail "--proba rows do not sum to 1"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
assert rows and all(abs(sum(map(float, r[1:])) - 1) < 1e-9 for r in rows)
assert all(r[0] == str(max(range(3), key=lambda k: float(r[1 + k]))) for r in rows)
PY

# The CSV without its label column predicts the same labels (the label is not a feature).
cut -d, -f1-9 "$TMP/xgbr/test.csv" >"$TMP/nolabel.csv"
"$HPS" predict "$TMP/xgbr/model.hpsm" "$TMP/nolabel.csv" -o "$TMP/nolabel.pred" 2>/dev/null \
    || fail "predict without the target column"
cmp -s "$TMP/nolabel.pred" "$TMP/xgbr/pred.csv" || fail "predictions depend on the target column"
expect_err 2 "--score needs the target column 'target'" \
    "$HPS" predict "$TMP/xgbr/model.hpsm" "$TMP/nolabel.csv" --score
# Missing columns: exit 2, every one named; an unknown column: exit 2 unless --ignore-extra.
cut -d, -f2-4,6- "$TMP/xgbr/test.csv" >"$TMP/missing.csv"
expect_err 2 "missing columns the model needs: 'carat', 'depth'" \
    "$HPS" predict "$TMP/xgbr/model.hpsm" "$TMP/missing.csv"
sed '1s/$/,note/; 2,$s/$/,x/' "$TMP/xgbr/test.csv" >"$TMP/extra.csv"
expect_err 2 "extra.csv:1: column the model was not trained on: 'note' (--ignore-extra" \
    "$HPS" predict "$TMP/xgbr/model.hpsm" "$TMP/extra.csv"
"$HPS" predict "$TMP/xgbr/model.hpsm" "$TMP/extra.csv" --ignore-extra -o "$TMP/extra.pred" \
    2>/dev/null || fail "--ignore-extra"
cmp -s "$TMP/extra.pred" "$TMP/xgbr/pred.csv" || fail "--ignore-extra changed the predictions"
# A numeric column with a word in it is the CSV's error, with its line.
sed '3s/^[^,]*,/abc,/' "$TMP/ridge/test.csv" >"$TMP/bad.csv"
expect_err 2 "bad.csv:3: column 'age': 'abc' is not a number" \
    "$HPS" predict "$TMP/ridge/model.hpsm" "$TMP/bad.csv"

# The artifact: a flipped byte, another version, another file: refused with exit 2.
flip() { # flip FILE OFFSET: xor one byte
    python3 -c 'import sys; p, o = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read()); b[o] ^= 1; open(p, "wb").write(b)' "$1" "$2"
}
cp "$TMP/ridge/model.hpsm" "$TMP/corrupt.hpsm" && flip "$TMP/corrupt.hpsm" 100
expect_err 2 "checksum mismatch: the file is corrupt" \
    "$HPS" predict "$TMP/corrupt.hpsm" "$TMP/ridge/test.csv"
cp "$TMP/ridge/model.hpsm" "$TMP/v2.hpsm" && flip "$TMP/v2.hpsm" 9
expect_err 2 "artifact format version 258 is not supported by this hps (it reads versions 1 to 2)" \
    "$HPS" predict "$TMP/v2.hpsm" "$TMP/ridge/test.csv"
expect_err 2 "not an hps model artifact" "$HPS" predict "$TMP/ridge/test.csv" "$TMP/ridge/test.csv"
# odd inputs: a device or a FIFO as the CSV or the artifact
expect_err 2 "/dev/zero: not a regular file" "$HPS" predict "$TMP/ridge/model.hpsm" /dev/zero
mkfifo "$TMP/fifo"
expect_err 2 "not a regular file" "$HPS" predict "$TMP/fifo" "$TMP/ridge/test.csv"
expect_err 2 "not a regular file" "$HPS" predict "$TMP/ridge/model.hpsm" "$TMP/fifo"
expect_err 2 "ARTIFACT and DATA.csv are required" "$HPS" predict "$TMP/ridge/model.hpsm"

# End to end: `hps run` (its workers upload the refit's model.hpsm by sha256), the
# registry, and `hps predict NAME@STAGE` reproducing the recorded test score exactly.
DB=$TMP/e2e.db
cat >"$TMP/e2e.yaml" <<Y
study: revs
n_trials: 2
data: {path: $D/reviews.csv, label: label, text: [text]}
objective: {type: logreg, C: 10}
strategy: {type: quick, test: {column: split, value: test}}
space: {min_df: {type: int, low: 1, high: 2}}
sampler: {type: random, seed: 1}
Y
expect 0 "$HPS" run "$TMP/e2e.yaml" -j 2 --db "$DB" -q
[ "$(sql "SELECT COUNT(*) FROM model_versions")" = 1 ] || fail "no model version registered"
expect 0 "$HPS" promote revs --stage staging --db "$DB"
python3 - "$D/reviews.csv" "$TMP/e2e_test.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
w = csv.writer(open(sys.argv[2], "w", newline=""))
w.writerow(rows[0]); w.writerows(r for r in rows[1:] if r[2] == "test")
PY
"$HPS" predict revs@staging "$TMP/e2e_test.csv" --db "$DB" --score -o "$TMP/e2e.pred" \
    2>"$TMP/e2e.err" || fail "predict revs@staging: $(cat "$TMP/e2e.err")"
got=$(sed -n 's/^accuracy=//p' "$TMP/e2e.err")
want=$(sql "SELECT test_score FROM trials WHERE kind = 'final'") # Python's repr: exact
python3 -c 'import sys; assert float(sys.argv[1]) == float(sys.argv[2])' "$got" "$want" \
    || fail "revs@staging scores $got, the refit recorded $want"
expect_err 2 "model 'revs' has no version in production" "$HPS" predict revs@production "$TMP/e2e_test.csv" --db "$DB"
echo "ok: hps run -> registry -> hps predict revs@staging: test score $got exactly"
echo "ok"
