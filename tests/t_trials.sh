# hps trials: every trial of a study, checked against the file with the sqlite3 shell.
# The objective is a shell command that echoes what it was given: its value is x, it
# reports step 0 = n and step 2 = x, and it fails for act=bad with "n=<n>" in its error.
# So a decoded parameter is checked against what the trial really ran with, not only
# against the stored blob.
. "$(dirname "$0")/lib.sh"
DB=$TMP/t.db
command -v sqlite3 >/dev/null || fail "the sqlite3 shell is missing (scripts/deps.sh installs it)"
for s in tmin:minimize:3 tmax:maximize:5; do
    IFS=: read -r name dir seed <<<"$s"
    cat >"$TMP/$name.yaml" <<Y
study: $name
direction: $dir
n_trials: 30
objective:
  type: command
  run: 'if [ "\$HPS_PARAM_ACT" = bad ]; then echo "act bad: refused, n=\$HPS_PARAM_N" >&2; exit 3; fi; echo "report 0 \$HPS_PARAM_N"; echo "report 2 \$HPS_PARAM_X"; echo "\$HPS_PARAM_X"'
space:
  x: {type: float, low: 0, high: 1}
  n: {type: int, low: 1, high: 9}
  act: {type: categorical, choices: [relu, bad, "a,b"]}
sampler: {type: random, seed: $seed}
Y
    "$HPS" run "$TMP/$name.yaml" -j 2 --db "$DB" -q >/dev/null
done
q() { sqlite3 -separator '|' "$DB" "$1"; }
sid=$(q "SELECT id FROM studies WHERE name = 'tmin'")
[ "$(q "SELECT COUNT(*) FROM trials WHERE study_id = $sid AND state = 'FAIL'")" -gt 0 ] \
    || fail "the test study has no FAIL trial"

# (quote() prints a REAL with 20 digits: it reads back as the same double.)
# csv: the same trials and values as the file, params decoded from the stored blob
# (x as three little-endian doubles) and equal to what the objective saw.
"$HPS" trials tmin --db "$DB" --format csv --steps >"$TMP/t.csv"
q "SELECT number, state, CASE WHEN value IS NULL THEN '' ELSE quote(value) END, hex(x), worker, attempt, error
   FROM trials WHERE study_id = $sid ORDER BY number" >"$TMP/db.txt"
q "SELECT t.number, i.step, quote(i.value) FROM intermediate i
   JOIN trials t ON t.id = i.trial_id WHERE t.study_id = $sid ORDER BY t.number, i.step" \
    >"$TMP/steps.txt"
python3 - "$TMP/t.csv" "$TMP/db.txt" "$TMP/steps.txt" <<'PY' || fail "csv differs from the DB"
import csv, struct, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
db = [l.rstrip("\n").split("|", 6) for l in open(sys.argv[2])]
steps = {}
for l in open(sys.argv[3]):
    n, step, v = l.strip().split("|")
    steps.setdefault(n, []).append((int(step), float(v)))
assert len(rows) == len(db) == 30, (len(rows), len(db))
choices = ["relu", "bad", "a,b"]
for r, (num, state, value, xhex, worker, attempt, error) in zip(rows, db):
    assert r["number"] == num and r["state"] == state, (r, num, state)
    assert r["worker"] == worker and r["attempt"] == attempt, r
    assert (r["value"] == "") == (value == ""), (r, value)
    if value:
        assert float(r["value"]) == float(value), (r["value"], value)
    x, n, act = struct.unpack("<3d", bytes.fromhex(xhex))
    assert float(r["param.x"]) == x and r["param.n"] == str(int(n)), (r, x, n)
    assert r["param.act"] == choices[int(act)], (r, act)
    assert 0 <= x <= 1 and 1 <= int(r["param.n"]) <= 9
    if state == "FAIL":  # the error text, with the n the trial ran with
        assert r["param.act"] == "bad" and r["error"] == error, (r, error)
        assert r["error"].endswith("n=" + r["param.n"]), r
    else:
        assert r["error"] == "" and float(r["value"]) == x, r
    got = [(int(a), float(b)) for a, b in (p.split(":") for p in r["steps"].split(";") if p)]
    assert got == steps.get(num, []), (got, steps.get(num))
    if state == "COMPLETE":  # step 0 reported n, step 2 reported x
        assert got == [(0, float(r["param.n"])), (2, x)], (got, r)
PY

# json: the same, parsed by Python; steps equal the intermediate table.
"$HPS" trials tmin --db "$DB" --format json --steps >"$TMP/t.json"
python3 - "$TMP/t.json" "$TMP/t.csv" "$TMP/steps.txt" <<'PY' || fail "json differs"
import csv, json, sys
js = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
steps = {}
for l in open(sys.argv[3]):
    n, step, v = l.strip().split("|")
    steps.setdefault(int(n), []).append({"step": int(step), "value": float(v)})
assert len(js) == len(rows) == 30
for j, r in zip(js, rows):
    assert str(j["number"]) == r["number"] and j["state"] == r["state"]
    assert j["params"] == {"x": float(r["param.x"]), "n": int(r["param.n"]),
                           "act": r["param.act"]}, (j, r)
    assert j["steps"] == steps.get(j["number"], []), (j["steps"], steps.get(j["number"]))
    assert (j["error"] or "") == r["error"]
PY

# table: a header with the parameter names, the error column, FAIL text shown.
"$HPS" trials tmin --db "$DB" >"$TMP/t.txt"
head -1 "$TMP/t.txt" | grep -Eq '^number +state +value +x +n +act +duration +worker +attempt +error$' \
    || fail "table header: $(head -1 "$TMP/t.txt")"
[ "$(($(wc -l <"$TMP/t.txt") - 1))" = 30 ] || fail "table rows: $(wc -l <"$TMP/t.txt")"
grep -E '^[0-9]+ +FAIL .*bad .*exit status 3: act bad: refused, n=[1-9]$' "$TMP/t.txt" >/dev/null \
    || fail "no FAIL row with its error: $(grep FAIL "$TMP/t.txt" | head -2)"
"$HPS" trials tmin --db "$DB" --steps | head -1 | grep -q ' steps$' || fail "--steps column"

# filters, sort, limit, against SQL
nfail=$(q "SELECT COUNT(*) FROM trials WHERE study_id = $sid AND state = 'FAIL'")
[ "$("$HPS" trials tmin --db "$DB" --state fail --format csv | tail -n +2 | wc -l)" = "$nfail" ] \
    || fail "--state fail"
"$HPS" trials tmin --db "$DB" --state COMPLETE --format csv | tail -n +2 | cut -d, -f2 | sort -u \
    | grep -qx COMPLETE || fail "--state COMPLETE"
for s in tmin:ASC tmax:DESC; do
    IFS=: read -r name order <<<"$s"
    want=$(q "SELECT number FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = '$name'
              AND value IS NOT NULL ORDER BY value $order, number LIMIT 4" | tr '\n' ' ')
    got=$("$HPS" trials "$name" --db "$DB" --sort value --limit 4 --format csv | tail -n +2 \
          | cut -d, -f1 | tr '\n' ' ')
    [ "$got" = "$want" ] || fail "$name --sort value --limit 4: $got, want $want"
done
# by value, trials without a value (FAIL) come last
"$HPS" trials tmin --db "$DB" --sort value --format csv | tail -n "$nfail" | cut -d, -f2 \
    | sort -u | grep -qx FAIL || fail "--sort value: FAIL trials not last"
[ "$("$HPS" trials tmin --db "$DB" --limit 3 --format json | python3 -c \
    'import json,sys; print([t["number"] for t in json.load(sys.stdin)])')" = "[0, 1, 2]" ] \
    || fail "--limit 3 json"

# bad input: exit 2 with a clear message, the file untouched
sum=$(sha256sum "$DB")
expect_err 2 "no study 'nope' (studies: tmax, tmin)" "$HPS" trials nope --db "$DB"
expect_err 2 "--state: unknown state 'done'" "$HPS" trials tmin --db "$DB" --state done
expect_err 2 "--sort: unknown key 'x'" "$HPS" trials tmin --db "$DB" --sort x
expect_err 2 "--format: unknown format 'xml'" "$HPS" trials tmin --db "$DB" --format xml
expect_err 2 "--limit" "$HPS" trials tmin --db "$DB" --limit 0
expect_err 2 "STUDY is required" "$HPS" trials --db "$DB"
expect_err 2 "trials are read from the study file" "$HPS" trials tmin --to tcp://127.0.0.1:1
expect 2 "$HPS" trials tmin --db "$TMP/missing.db"
[ ! -e "$TMP/missing.db" ] || fail "a missing DB was created"
[ "$(sha256sum "$DB")" = "$sum" ] || fail "the DB changed"
echo "ok: trials csv/json/table match the DB ($nfail FAIL with their errors), filters, sort, limit"
