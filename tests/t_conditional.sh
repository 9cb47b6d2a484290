# conditional parameters: gamma (when kernel is rbf) is absent from every linear trial
# (the objective's stdin JSON and HPS_PARAM_* env, trials.params, the trial_params view,
# hps trials, the csv/json/optuna exports) and present in every rbf trial; a seeded
# deterministic TPE gives the same trials twice; enqueued points may leave it out; a
# cycle is a config error with its file:line.
. "$(dirname "$0")/lib.sh"
N=16 # trials per run
cat >"$TMP/obj.py" <<'P'
import json, math, os, sys
p = json.load(sys.stdin)
rbf = p["kernel"] == "rbf"
if ("gamma" in p) != rbf or ("HPS_PARAM_GAMMA" in os.environ) != rbf or ("shrink" in p) == rbf:
    sys.exit("gamma given to a %s trial: %r" % (p["kernel"], p))
print(0.3 + (p["C"] - 1) ** 2 if not rbf else (math.log10(p["gamma"]) + 2) ** 2 + (p["C"] - 3) ** 2 / 10)
P
cat >"$TMP/s.yaml" <<Y
study: svm
direction: minimize
n_trials: $N
objective: {type: command, run: [python3, $TMP/obj.py], timeout: 30}
space:
  gamma: {type: float, low: 1.0e-4, high: 1, log: true, when: {kernel: rbf}}
  kernel: {type: categorical, choices: [linear, rbf]}
  C: {type: float, low: 0.1, high: 10}
  shrink: {type: categorical, choices: [true, false], when: {kernel: [linear]}}
sampler: {type: tpe, seed: 5, deterministic: true, parallelism: 2, n_startup_trials: 6}
Y
for r in 1 2; do
    DB=$TMP/r$r.db
    "$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" -q >/dev/null
    sql "SELECT number, hex(x), params FROM trials ORDER BY number" >"$TMP/seq$r.txt"
done
cmp "$TMP/seq1.txt" "$TMP/seq2.txt" || fail "two seeded runs differ"
DB=$TMP/r1.db
[ "$(sql "SELECT count(*) FROM trials WHERE state = 'COMPLETE'")" = "$N" ] ||
    fail "not all COMPLETE: $(sql "SELECT number, state, error FROM trials WHERE state != 'COMPLETE'")"
n_lin=$(sql "SELECT count(*) FROM trials WHERE json_extract(params, '$.kernel') = 'linear'")
n_rbf=$(sql "SELECT count(*) FROM trials WHERE json_extract(params, '$.kernel') = 'rbf'")
[ "$n_lin" -gt 0 ] && [ "$n_rbf" -gt 0 ] && [ $((n_lin + n_rbf)) = "$N" ] || fail "branches: $n_lin linear, $n_rbf rbf"
# the stored params and the view: gamma exactly in the rbf trials
[ "$(sql "SELECT count(*) FROM trials WHERE (json_type(params, '$.gamma') IS NULL) != (json_extract(params, '$.kernel') = 'linear')")" = 0 ] ||
    fail "trials.params: gamma where it should not be: $(sql "SELECT params FROM trials LIMIT 3")"
[ "$(sql "SELECT count(*) FROM trial_params WHERE study = 'svm' AND name = 'gamma'")" = "$n_rbf" ] || fail "trial_params gamma rows"
[ "$(sql "SELECT count(*) FROM trial_params WHERE study = 'svm'")" = $((2 * N + n_rbf + n_lin)) ] || fail "trial_params rows"
# the best trial is an rbf one: the leaderboard shows its gamma and no shrink
"$HPS" leaderboard --db "$DB" --format json >"$TMP/lb.json"
python3 - "$TMP/lb.json" <<'P' || fail "leaderboard: $(cat "$TMP/lb.json")"
import json, sys
bp = json.load(open(sys.argv[1]))[0]["params"]
assert "gamma" in bp and "shrink" not in bp, bp
P
# hps trials: json (absent key), csv (empty cell), table (-)
"$HPS" trials svm --db "$DB" --format json >"$TMP/t.json"
python3 - "$TMP/t.json" <<'P' || fail "hps trials --format json"
import json, sys
for t in json.load(open(sys.argv[1])):
    assert ("gamma" in t["params"]) == (t["params"]["kernel"] == "rbf"), t
P
"$HPS" trials svm --db "$DB" --format csv >"$TMP/t.csv"
python3 - "$TMP/t.csv" <<'P' || fail "hps trials --format csv: $(head -3 "$TMP/t.csv")"
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    assert (r["param.gamma"] == "") == (r["param.kernel"] == "linear"), r
P
"$HPS" trials svm --db "$DB" | grep -q ' linear ' || fail "table: no linear row"
# exports: csv and json as above, optuna without the param (as Optuna stores one)
"$HPS" export svm --db "$DB" --format json >"$TMP/e.json"
python3 - "$TMP/e.json" <<'P' || fail "export json"
import json, sys
for t in json.load(open(sys.argv[1])):
    assert ("gamma" in t["params"]) == (t["params"]["kernel"] == "rbf"), t
P
"$HPS" export svm --db "$DB" --format csv >"$TMP/e.csv"
python3 - "$TMP/e.csv" <<'P' || fail "export csv"
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    assert (r["param.gamma"] == "") == (r["param.kernel"] == "linear"), r
P
"$HPS" export svm --db "$DB" --format optuna -o "$TMP/o.db"
python3 - "$TMP/o.db" "$n_rbf" <<'P' || fail "export optuna"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
n = con.execute("SELECT count(*) FROM trial_params WHERE param_name = 'gamma'").fetchone()[0]
assert n == int(sys.argv[2]), n
P
"$HPS" report svm --db "$DB" -o "$TMP/r.html" || fail "report"
grep -q 'gamma' "$TMP/r.html" || fail "report lacks gamma"
# enqueue: gamma left out of a linear point (an empty csv cell too), refused when given
printf 'kernel,gamma,C,shrink\nlinear,,2,true\nrbf,0.01,3,\n' >"$TMP/p.csv"
"$HPS" resume svm --db "$DB" n_trials=$((N + 6)) >/dev/null 2>&1 || true
expect 0 "$HPS" enqueue svm "$TMP/p.csv" --db "$DB"
[ "$(sql "SELECT params FROM trials WHERE number = $N")" = '{"kernel": "linear", "C": 2, "shrink": true}' ] ||
    fail "enqueued linear: $(sql "SELECT params FROM trials WHERE number >= $N")"
printf '{"kernel": "linear", "gamma": 0.1, "C": 2, "shrink": false}' >"$TMP/bad.json"
expect_err 2 "param 'gamma' is inactive here (it needs kernel = \"rbf\")" "$HPS" enqueue svm "$TMP/bad.json" --db "$DB"
# warm start from it: the observations keep their absent gamma; other conditions refused
sed "s/^study: svm/study: svm2\nwarm_start: {study: svm}/; s/^n_trials: $N/n_trials: 2/" "$TMP/s.yaml" >"$TMP/w.yaml"
expect 0 "$HPS" run "$TMP/w.yaml" -j 1 --db "$DB"
[ "$(sql "SELECT count(*) FROM trial_params WHERE study = 'svm2' AND kind = 'warm' AND name = 'gamma'")" = \
  "$(sql "SELECT count(*) FROM trial_params WHERE study = 'svm' AND kind = 'search' AND name = 'gamma' AND number < $N")" ] ||
    fail "warm start: gamma rows"
sed 's/^study: svm2/study: svm3/; s/when: {kernel: rbf}/when: {kernel: [rbf, linear]}/' "$TMP/w.yaml" >"$TMP/w3.yaml"
expect_err 2 "warm_start: param 'gamma': its conditions (when) differ from the source study's" \
    "$HPS" run "$TMP/w3.yaml" -j 1 --db "$DB"
# a cycle and a float parent: config errors with file:line, exit 2
cat >"$TMP/cyc.yaml" <<Y
study: cyc
n_trials: 4
objective: {type: synthetic, function: sphere}
space:
  a: {type: int, low: 0, high: 1, when: {b: 1}}
  b: {type: int, low: 0, high: 1, when: {a: 1}}
Y
expect_err 2 "cyc.yaml:5:41: a: when: the conditions form a cycle (through 'b')" "$HPS" run "$TMP/cyc.yaml" --db "$TMP/c.db"
echo "ok: $n_lin linear trials without gamma, $n_rbf rbf trials with it; seeded runs identical"
