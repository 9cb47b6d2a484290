# Data cleaning (issue 14) on tests/fixtures/diabetes_missing.csv (diabetes with ~8% of
# the cells missing as "", NA or ?, a categorical sex column, and outliers: see
# scripts/missing_fixture.py):
#   - the final refit's artifact applied by `hps predict` to the study's test split
#     reproduces the recorded test score exactly (ridge with median imputation, missing
#     indicators, a constant, most_frequent and quantile clipping; xgboost with the
#     defaults: mean, and a category of its own);
#   - predict applies the saved values: any marker means missing, outliers are clipped;
#   - `hps run` -> registry -> `hps predict NAME@staging` equals the final trial's score;
#   - bad input exits 2 with file:line: a column of numbers with an unlisted marker (its
#     lines named), an unknown strategy, a column that does not exist, quantiles out of
#     range, mean on a categorical column, impute none with a model other than xgboost, a
#     rule for the test split column.
#   - impute none: xgboost takes the missing cells as they are, through predict too.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "${REFIT:-}" ] || fail "REFIT (build/tests/refit) is not set"
F=$root/tests/fixtures/diabetes_missing.csv
quick="strategy: {type: quick, test: {fraction: 0.25}}"

# study NAME DATA-LINES OBJECTIVE-LINE: a one-model study file $TMP/NAME.yaml.
study() {
    mkdir -p "$TMP/$1"
    printf '%s\n' "study: $1" "n_trials: 3" "data:" "  path: $F" "  target: target" "$2" \
        "$3" "$quick" 'space: {alpha: {type: float, low: 0.1, high: 10, log: true}}' \
        'sampler: {type: random, seed: 3}' >"$TMP/$1.yaml"
}
clean='  missing: ["", NA, "?"]
  numeric: [bmi]
  impute:
    strategy: median
    add_indicator: true
    columns: {sex: most_frequent, age: {strategy: constant, value: 50}}
  clip: {low: 0.02, high: 0.98}'
study ridge "$clean" "objective: {type: ridge, alpha: 0.5}"
study xgb '  missing: ["", NA, "?"]' "objective: {type: xgboost, n_rounds: 20, max_depth: 3}"
study xgbnone '  missing: ["", NA, "?"]
  impute: {strategy: none, add_indicator: true}' "objective: {type: xgboost, n_rounds: 20, max_depth: 3}"
for s in xgb xgbnone; do
    sed -i '/^space:/d' "$TMP/$s.yaml"
    echo 'space: {eta: {type: float, low: 0.1, high: 0.3}}' >>"$TMP/$s.yaml"
done

for s in ridge xgb xgbnone; do
    recorded=$("$REFIT" "$TMP/$s.yaml" "$TMP/$s") || fail "$s: refit failed"
    grep -q ',NA,\|,?,\|,,' "$TMP/$s/test.csv" || fail "$s: no missing cell in the test split"
    "$HPS" predict "$TMP/$s/model.hpsm" "$TMP/$s/test.csv" --score -o "$TMP/$s/pred.csv" \
        2>"$TMP/$s/err" || fail "$s: predict: $(cat "$TMP/$s/err")"
    got=$(sed -n 's/^rmse=//p' "$TMP/$s/err")
    [ "$got" = "$recorded" ] || fail "$s: predict scores $got, the refit recorded $recorded"
    echo "ok: $s: predict on the test split with missing cells: rmse $got, as recorded"
done

# The saved values: every marker is missing alike, an outlier is clipped (a bmi of 1e6
# and of 1e7 predict the same: both at the training's 98% quantile), a missing bmi gets
# the fill value rather than failing.
python3 - "$TMP/ridge/test.csv" "$TMP/probe.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, r = rows[0], list(rows[1])
b = head.index("bmi")
out = [head]
for v in ["", "NA", "?", "1e6", "1e7", "25"]:
    row = list(r); row[b] = v; out.append(row)
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(out)
PY
"$HPS" predict "$TMP/ridge/model.hpsm" "$TMP/probe.csv" -o "$TMP/probe.pred" 2>/dev/null \
    || fail "predict on the probe rows"
python3 - "$TMP/probe.pred" <<'PY' || fail "probe predictions: $(cat "$TMP/probe.pred")"
import sys
p = [float(l) for l in open(sys.argv[1]).read().split()[1:]]
assert p[0] == p[1] == p[2], "markers differ"
assert p[3] == p[4], "outliers not clipped"
assert p[3] != p[5] and p[0] != p[5]
PY
echo "ok: predict: '', NA and ? are missing alike; 1e6 and 1e7 clip to the same value"
# impute none: xgboost sees the missing cells as missing (its own default direction per
# split), not as a fill value; the artifact keeps that (its score above was reproduced).
# Markers alike; a row missing bmi does not predict as the mean imputer's row would.
"$HPS" predict "$TMP/xgbnone/model.hpsm" "$TMP/probe.csv" -o "$TMP/none.pred" 2>/dev/null \
    || fail "predict with impute none on the probe rows"
python3 - "$TMP/none.pred" <<'PY' || fail "impute none probe: $(cat "$TMP/none.pred")"
import sys
p = [float(l) for l in open(sys.argv[1]).read().split()[1:]]
assert p[0] == p[1] == p[2], "markers differ"
PY
echo "ok: impute none (xgboost): the refit's score reproduced by predict; markers alike"

# End to end: a real study, its final refit registered, predicted from the registry.
DB=$TMP/e2e.db
expect 0 "$HPS" run "$TMP/ridge.yaml" -j 2 --db "$DB" -q
[ "$(sql "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'")" -ge 4 ] \
    || fail "trials: $(sql "SELECT kind, state, error FROM trials")"
expect 0 "$HPS" promote ridge --stage staging --db "$DB"
"$HPS" predict ridge@staging "$TMP/ridge/test.csv" --db "$DB" --score -o "$TMP/e2e.pred" \
    2>"$TMP/e2e.err" || fail "predict ridge@staging: $(cat "$TMP/e2e.err")"
got=$(sed -n 's/^rmse=//p' "$TMP/e2e.err")
want=$(sql "SELECT test_score FROM trials WHERE kind = 'final'")
python3 -c 'import sys; assert float(sys.argv[1]) == float(sys.argv[2])' "$got" "$want" \
    || fail "ridge@staging scores $got, the final trial recorded $want"
echo "ok: hps run -> registry -> predict ridge@staging: rmse $got exactly"

# Bad input: exit 2, located.
bad() { # bad NAME SED-EXPR WANT
    sed "$2" "$TMP/ridge.yaml" >"$TMP/$1.yaml"
    expect_err 2 "$3" "$HPS" run "$TMP/$1.yaml" -j 1 --db "$TMP/bad.db"
}
bad marker '/missing:/d' \
    "$F:27: column 'age': '?' is not a number; also lines 66, 105, 144, 183, ... (11 cells in all)"
bad strategy 's/strategy: median/strategy: medain/' \
    "$TMP/strategy.yaml:9:15: data.impute: unknown strategy 'medain' (did you mean 'median'?"
bad column 's/sex: most_frequent/sexx: most_frequent/' \
    "$TMP/column.yaml:11:15: data.impute.columns.sexx: no feature column 'sexx' in $F (did you mean 'sex'?)"
bad quantile 's/high: 0.98/high: 1.5/' \
    "$TMP/quantile.yaml:12:27: data.clip: quantiles must satisfy 0 <= low < high <= 1"
bad kind 's/sex: most_frequent/sex: mean/' \
    "$TMP/kind.yaml:11:15: data.impute.columns.sex: mean needs a numeric column, 'sex' is categorical"
bad splitcol 's/test: {fraction: 0.25}/test: {column: sex, value: F}/' \
    "$TMP/splitcol.yaml:11:15: data.impute.columns.sex: 'sex' is the test split column (strategy.test.column), not a feature"
bad nonemodel 's/strategy: median/strategy: none/' \
    "$TMP/nonemodel.yaml:9:15: data.impute: none leaves missing cells as they are, which only xgboost takes; ridge needs them filled"
sed 's/strategy: none,/columns: {sex: none},/' "$TMP/xgbnone.yaml" >"$TMP/nonecat.yaml"
expect_err 2 "$TMP/nonecat.yaml:7:22: data.impute.columns.sex: none needs a numeric column, 'sex' is categorical" \
    "$HPS" run "$TMP/nonecat.yaml" -j 1 --db "$TMP/bad.db"
[ ! -e "$TMP/bad.db" ] || [ "$(DB=$TMP/bad.db sql "SELECT COUNT(*) FROM studies")" = 0 ] \
    || fail "a bad study was stored"
echo "ok: bad cleaning configs and an unlisted marker exit 2 with file:line"
echo "ok"
