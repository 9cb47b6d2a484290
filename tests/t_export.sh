# hps export --format csv|json: every trial of a study with its decoded parameters and
# intermediate values, read back with Python's json and csv modules and compared with
# the file (sqlite3 shell); -o writes a file, an unknown study or format leaves none.
. "$(dirname "$0")/lib.sh"
DB=$TMP/e.db
command -v sqlite3 >/dev/null || fail "the sqlite3 shell is missing (scripts/deps.sh installs it)"
# the median pruner on a 6-step curve: every trial reports steps, some are pruned
cat >"$TMP/s.yaml" <<'Y'
study: ex
n_trials: 24
objective: {type: synthetic, function: sphere, steps: 6}
space:
  x: {type: float, low: -5, high: 5}
  k: {type: int, low: 1, high: 4, log: true}
  opt: {type: categorical, choices: [adam, sgd, 0.5]}
sampler: {type: random, seed: 7}
pruner: {type: median, n_startup_trials: 4}
Y
"$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" -q >/dev/null
q() { sqlite3 -separator '|' "$DB" "$1"; }
q "SELECT number, state, CASE WHEN value IS NULL THEN '' ELSE quote(value) END FROM trials
   ORDER BY number" >"$TMP/db.txt"
q "SELECT t.number, i.step, quote(i.value) FROM intermediate i JOIN trials t ON t.id = i.trial_id
   ORDER BY t.number, i.step" >"$TMP/steps.txt"
[ "$(q "SELECT COUNT(*) FROM trials WHERE state = 'PRUNED'")" -gt 0 ] || fail "nothing pruned"
"$HPS" export ex --db "$DB" --format json -o "$TMP/ex.json"
"$HPS" export ex --db "$DB" --format csv -o "$TMP/ex.csv"
"$HPS" export ex --db "$DB" --format csv | cmp - "$TMP/ex.csv" || fail "csv on stdout differs from -o"
python3 - "$TMP/ex.json" "$TMP/ex.csv" "$TMP/db.txt" "$TMP/steps.txt" <<'PY' || fail "export differs from the DB"
import csv, json, sys
js = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
db = [l.rstrip("\n").split("|") for l in open(sys.argv[3])]
steps = {}
for l in open(sys.argv[4]):
    n, s, v = l.strip().split("|")
    steps.setdefault(int(n), []).append((int(s), float(v)))
assert len(js) == len(rows) == len(db) == 24, (len(js), len(rows), len(db))
assert sum(len(v) for v in steps.values()) > 24
for j, r, (num, state, value) in zip(js, rows, db):
    assert j["number"] == int(num) == int(r["number"]), (j, r, num)
    assert j["state"] == state == r["state"]
    if value:
        assert j["value"] == float(value) == float(r["value"]), (j, r, value)
    else:
        assert j["value"] is None and r["value"] == ""
    p = j["params"]
    assert set(p) == {"x", "k", "opt"} and -5 <= p["x"] <= 5 and p["k"] in (1, 2, 3, 4)
    assert p["opt"] in ("adam", "sgd", 0.5), p
    assert float(r["param.x"]) == p["x"] and int(r["param.k"]) == p["k"]
    assert r["param.opt"] == str(p["opt"]), (r, p)
    want = steps.get(int(num), [])
    assert [(s["step"], s["value"]) for s in j["steps"]] == want, (j["steps"], want)
    got = [(int(a), float(b)) for a, b in (x.split(":") for x in r["steps"].split(";") if x)]
    assert got == want, (got, want)
PY
expect_err 2 "no study 'nope' (studies: ex)" "$HPS" export nope --db "$DB" --format json -o "$TMP/n.json"
[ ! -e "$TMP/n.json" ] || fail "a file was left for an unknown study"
expect_err 2 "unknown format 'xml'" "$HPS" export ex --db "$DB" --format xml
expect_err 2 "STUDY and --format are required" "$HPS" export ex --db "$DB"
expect 2 "$HPS" export ex --db "$TMP/missing.db" --format csv
"$HPS" export --help | grep -q '^ *json ' || fail "help lists no formats"
# -o naming the study file (by name, -wal, link, hard link) or its blobs is refused, untouched
"$HPS" export ex --db "$DB" --format csv >"$TMP/st0"
sum0=$(sha256sum "$DB" | cut -c1-64)
ln -s "$DB" "$TMP/sym.db" && ln "$DB" "$TMP/hard.db"
# -wal exists while a connection is open: hold one (a reader) around the refusal
python3 - "$DB" "$HPS" <<'PY' || fail "report -o DB-wal while the file is open"
import os, sqlite3, subprocess, sys
db, hps = sys.argv[1:3]
c = sqlite3.connect(db)
c.execute("SELECT COUNT(*) FROM trials").fetchall()
assert os.path.exists(db + "-wal"), "no -wal while open"
r = subprocess.run([hps, "report", "--db", db, "-o", db + "-wal"], capture_output=True, text=True)
assert r.returncode == 2 and "is the study file" in r.stderr, (r.returncode, r.stderr)
c.close()
PY
for o in "$DB" "$TMP/sym.db" "$TMP/hard.db" "$DB.blobs/x.csv"; do
    for f in csv json optuna; do
        expect_err 2 "-o $o is " "$HPS" export ex --db "$DB" --format $f -o "$o" --force
    done
    expect_err 2 "-o $o is " "$HPS" report --db "$DB" -o "$o"
done
expect_err 2 "inside the study file's .blobs folder" "$HPS" export ex --db "$DB" --format mlflow \
    -o "$DB.blobs"
expect_err 2 "inside the study file's .blobs folder" "$HPS" export ex --db "$DB" --format mlflow \
    -o "$DB.blobs/new/mlruns"
[ ! -e "$DB.blobs/new" ] || fail "a folder was made in the blobs"
# a file's place: not a folder, and in a folder that exists (bad input: exit 2)
expect_err 2 "-o $TMP is a folder: name a file" "$HPS" report --db "$DB" -o "$TMP"
expect_err 2 "in a folder that does not exist" "$HPS" export ex --db "$DB" --format csv \
    -o "$TMP/nope/x.csv"
[ "$(sha256sum "$DB" | cut -c1-64)" = "$sum0" ] || fail "the study file changed"
"$HPS" export ex --db "$DB" --format csv | cmp -s - "$TMP/st0" || fail "the trials differ after the refusals"
echo "ok: export csv and json hold all 24 trials with params and steps, as in the DB; -o onto it refused"
