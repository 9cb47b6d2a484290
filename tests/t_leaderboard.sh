# hps leaderboard ranks: studies grouped by metric and direction, best first within a
# group by its direction, with rank, metric, direction and state columns; --sort;
# --study PATTERN (match, union, no match = exit 1); the best parameters in csv, json
# and md. The DB holds real runs: synthetic studies minimising and maximising, logreg
# (accuracy) and ridge (rmse) studies, and from a cluster one study stopped and one
# left running (its coordinator killed mid-study).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
DB=$TMP/lb.db

run() { # run CONFIG: hps run into $DB
    "$HPS" run "$1" --db "$DB" -j 2 >/dev/null 2>"$TMP/run.err" \
        || { cat "$TMP/run.err"; fail "hps run $1"; }
}

for i in 1 2 3; do
    write_study "$TMP/min$i.yaml" "min$i" 6 "sampler: {type: random, seed: $i}"
    run "$TMP/min$i.yaml"
done
for i in 1 2; do
    write_study "$TMP/max$i.yaml" "max$i" 6 "direction: maximize" \
        "sampler: {type: random, seed: $((i + 10))}"
    run "$TMP/max$i.yaml"
done
model() { # model NAME TYPE DATA Y-KEY PARAM-LINE [extra lines]: a 3-trial model study
    local name=$1 type=$2 file=$3 ykey=$4 param=$5; shift 5
    {
        echo "study: $name"
        echo "n_trials: 3"
        echo "data: {path: $data/$file, $ykey: $ykey}"
        echo "objective: {type: $type}"
        echo "space:"
        echo "  $param"
        echo "sampler: {type: random, seed: 4}"
        for l in "$@"; do echo "$l"; done
    } >"$TMP/$name.yaml"
    run "$TMP/$name.yaml"
}
model acc1 logreg breast_cancer.csv label "C: {type: float, low: 0.01, high: 10, log: true}"
model acc2 logreg breast_cancer.csv label "C: {type: float, low: 0.001, high: 0.01, log: true}" \
    "strategy: {type: balanced}"
model reg1 ridge diabetes.csv target "alpha: {type: float, low: 0.01, high: 10, log: true}"

# A stopped study and a study left running: a cluster killed in the middle.
start_coord --lease-ms 3000
coord=$COORD
start w1 "$HPS" worker --connect "$ep" --slots 2 --name w1
worker=$LAST_PID
for s in halted live; do
    write_study "$TMP/$s.yaml" "$s" 1000 "sampler: {type: random, seed: 7}" \
        "objective: {type: synthetic, function: sphere, sleep_ms: 30}"
    "$HPS" submit "$TMP/$s.yaml" --to "$ep" >/dev/null || fail "submit $s"
done
wait_for 60 "all(s['trials']['COMPLETE'] >= 2 for s in st['studies']
                if s['study'] in ('halted', 'live'))"
[ "$("$HPS" stop halted --to "$ep")" = "stopped halted" ] || fail "stop"
wait_sql 10 "SELECT state FROM studies WHERE name = 'halted'" stopped
{ kill -9 "$coord" "$worker"; wait "$coord" "$worker" || true; } 2>/dev/null

# ---- the board: groups, order by direction, rank, columns, params (against status)
"$HPS" status --db "$DB" --json >"$TMP/status.json" || fail "status --json"
sum=$(sha256sum "$DB" | cut -d' ' -f1) # after the first reader folded in the killed WAL
expect 0 "$HPS" leaderboard --db "$DB" --format json
cp "$TMP/out" "$TMP/board.json"
expect 0 "$HPS" leaderboard --db "$DB" --format csv
cp "$TMP/out" "$TMP/board.csv"
python3 - "$TMP/board.json" "$TMP/board.csv" "$TMP/status.json" <<'PY' || fail "board order/columns"
import csv, json, sys
rows = json.load(open(sys.argv[1]))
crows = list(csv.DictReader(open(sys.argv[2], newline="")))
status = {s["study"]: s for s in json.load(open(sys.argv[3]))["studies"]}
names = [r["study"] for r in rows]
assert sorted(names) == sorted(status), names
assert [r["study"] for r in crows] == names, "csv and json in the same order"

want = {"min1": ("value", "minimize", "done"), "max1": ("value", "maximize", "done"),
        "acc1": ("accuracy", "maximize", "done"), "acc2": ("accuracy", "maximize", "done"),
        "reg1": ("rmse", "minimize", "done"), "halted": ("value", "minimize", "stopped"),
        "live": ("value", "minimize", "running")}
by = {r["study"]: r for r in rows}
for n, w in want.items():
    got = (by[n]["metric"], by[n]["direction"], by[n]["state"])
    assert got == w, (n, got, w)

# groups contiguous, in metric order, maximising first; best first within a group
group = lambda r: (r["metric"], r["direction"] != "maximize")
keys = [group(r) for r in rows]
assert keys == sorted(keys), keys
assert [k[0] for k in dict.fromkeys(keys)] == ["accuracy", "rmse", "value", "value"], keys
for g in set(keys):
    members = [r for r in rows if group(r) == g]
    vals = [r["best"] for r in members]
    assert None not in vals, vals  # every study here has a complete trial
    sign = -1 if g[1] is False else 1
    assert [sign * v for v in vals] == sorted(sign * v for v in vals), (g, vals)
    for r in members:
        better = sum(1 for o in members if sign * o["best"] < sign * r["best"])
        assert r["rank"] == better + 1, (r["study"], r["rank"], better)
    assert members[0]["rank"] == 1

for r, c in zip(rows, crows):
    s = status[r["study"]]
    assert r["best"] == s["best"]["value"] and r["best_trial"] == s["best"]["trial"], r
    assert r["params"] == s["best"]["params"], (r["params"], s["best"]["params"])
    assert r["complete"] == s["trials"]["COMPLETE"] and r["n_trials"] == s["n_trials"], r
    assert float(c["best"]) == r["best"] and int(c["rank"]) == r["rank"], (c, r)
    for k, v in r["params"].items():
        assert float(c["params." + k]) == v, (k, c, r)
    others = {k[len("params."):] for k in c if k.startswith("params.")} - set(r["params"])
    assert all(c["params." + k] == "" for k in others), c
assert {k for k in crows[0] if k.startswith("params.")} == {"params.C", "params.alpha",
                                                             "params.x", "params.y"}
assert by["acc2"]["test_score"] is not None and by["acc2"]["tier"] == "standard", by["acc2"]
assert by["acc2"]["strategy"] == "balanced" and by["acc1"]["strategy"] == "quick"
assert 0.5 < by["acc1"]["best"] <= 1 and by["reg1"]["best"] > 1, (by["acc1"], by["reg1"])
assert by["live"]["n_trials"] == 1000 and by["live"]["complete"] < 1000, by["live"]
PY

expect 0 "$HPS" leaderboard --db "$DB" --format md
python3 - "$TMP/out" "$TMP/board.json" <<'PY' || fail "md: $(cat "$TMP/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
head = [c.strip() for c in lines[0].strip("|").split("|")]
assert head[:5] == ["rank", "study", "metric", "dir", "state"] and head[-1] == "params", head
rows = json.load(open(sys.argv[2]))
assert len(lines) == 2 + len(rows), lines
for line, r in zip(lines[2:], rows):
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1] == r["study"] and cells[3] == r["direction"][:3], (cells, r)
    assert cells[4] == r["state"], (cells, r)
    got = dict(kv.split("=") for kv in cells[-1].split(", "))
    assert set(got) == set(r["params"]), (got, r["params"])
    for k, v in r["params"].items():
        assert abs(float(got[k]) - v) <= 1e-3 * max(1, abs(v)), (k, got[k], v)
PY

expect 0 "$HPS" leaderboard --db "$DB"
table() { grep -q "$1" "$TMP/out" || fail "table, $2: $(cat "$TMP/out")"; }
table '^rank  study  *metric  *dir  *state  ' header
table '^ *[0-9]  live  *value  *min  *running ' "running row"
table '^ *[0-9]  halted  *value  *min  *stopped ' "stopped row"
table '^ *1  acc[12]  *accuracy  *max  *done ' "accuracy row"
# four groups: three blank lines between them, none elsewhere
[ "$(grep -c '^$' "$TMP/out")" = 3 ] || fail "group separation: $(cat "$TMP/out")"
[ "$(grep -c . "$TMP/out")" = 11 ] || fail "table rows: $(cat "$TMP/out")"

# ---- --sort: each key orders within the groups, which stay in place
expect 0 "$HPS" leaderboard --db "$DB" --format json --sort best
python3 - "$TMP/out" "$TMP/board.json" <<'PY' || fail "--sort best is the default"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for r in a + b:
    del r["wall_secs"]  # a running study's wall time grows
assert a == b
PY
for key in test trials wall study name created; do
    expect 0 "$HPS" leaderboard --db "$DB" --format json --sort "$key"
    python3 - "$TMP/out" "$key" "$TMP/board.json" <<'PY' || fail "--sort $key: $(cat "$TMP/out")"
import json, sys
rows, key = json.load(open(sys.argv[1])), sys.argv[2]
group = lambda r: (r["metric"], r["direction"] != "maximize")
assert [group(r) for r in rows] == [group(r) for r in json.load(open(sys.argv[3]))]
for g in dict.fromkeys(group(r) for r in rows):
    m = [r for r in rows if group(r) == g]
    sign = -1 if g[1] is False else 1
    if key == "test":  # studies with a test score first, best first; then the others
        have = [sign * r["test_score"] for r in m if r["test_score"] is not None]
        assert have == sorted(have), m
        assert all(r["test_score"] is None for r in m[len(have):]), m
    elif key == "trials":
        assert [-r["complete"] for r in m] == sorted(-r["complete"] for r in m), m
    elif key == "wall":
        assert [r["wall_secs"] for r in m] == sorted(r["wall_secs"] for r in m), m
    elif key in ("study", "name"):
        assert [r["study"] for r in m] == sorted(r["study"] for r in m), m
    else:
        assert [-r["created"] for r in m] == sorted(-r["created"] for r in m), m
    by_best = sorted(m, key=lambda r: sign * r["best"])
    assert [r["rank"] for r in by_best] == sorted(r["rank"] for r in m), "rank stays by best"
PY
done
expect 0 "$HPS" leaderboard --db "$DB" --format csv --sort test
[ "$(sed -n 2p "$TMP/out" | cut -d, -f2)" = acc2 ] || fail "--sort test: $(cat "$TMP/out")"
expect 2 "$HPS" leaderboard --db "$DB" --sort speed
grep -q "unknown sort key 'speed' (best, test, trials, wall, study, name, created)" "$TMP/err" \
    || fail "sort key message: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "output for a bad sort key"
expect 0 "$HPS" leaderboard --help
grep -q -- "--sort KEY" "$TMP/out" && grep -q -- "--study PATTERN" "$TMP/out" || fail "--help"

# ---- --study
studies() { # the studies of the CSV board in $TMP/out
    python3 -c "import csv, sys
print(' '.join(r['study'] for r in csv.DictReader(open(sys.argv[1], newline=''))))" "$TMP/out"
}
expect 0 "$HPS" leaderboard --db "$DB" --format csv --study 'min*' --sort study
[ "$(studies)" = "min1 min2 min3" ] || fail "--study 'min*': $(studies)"
grep -q "params.C" "$TMP/out" && fail "parameter columns of studies not shown"
python3 - "$TMP/out" "$TMP/board.json" <<'PY' || fail "--study changed a rank: $(cat "$TMP/out")"
import csv, json, sys
full = {r["study"]: r["rank"] for r in json.load(open(sys.argv[2]))}
for r in csv.DictReader(open(sys.argv[1], newline="")):
    assert int(r["rank"]) == full[r["study"]], (r, full)
PY
expect 0 "$HPS" leaderboard --db "$DB" --format csv --study min3
python3 - "$TMP/out" "$TMP/board.json" <<'PY' || fail "--study min3 rank: $(cat "$TMP/out")"
import csv, json, sys
full = {r["study"]: r["rank"] for r in json.load(open(sys.argv[2]))}
(row,) = csv.DictReader(open(sys.argv[1], newline=""))
assert full["min3"] >= 3 and int(row["rank"]) == full["min3"], (row, full)  # min1, min2 beat it
PY
expect 0 "$HPS" leaderboard --db "$DB" --format csv --study acc1 --study 'max?' --sort study
[ "$(studies)" = "acc1 max1 max2" ] || fail "--study union: $(studies)"
expect 1 "$HPS" leaderboard --db "$DB" --study 'min*' --study 'nope*'
grep -q "no study matches 'nope\*'" "$TMP/err" || fail "no-match message: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "output for a pattern matching nothing: $(cat "$TMP/out")"
expect 1 "$HPS" leaderboard --db "$DB" --study min
grep -q "no study matches 'min'" "$TMP/err" || fail "exact name: $(cat "$TMP/err")"

[ "$(sha256sum "$DB" | cut -d' ' -f1)" = "$sum" ] || fail "the leaderboard changed the DB"
echo "ok: leaderboard groups, ranks, columns, --sort, --study, parameters"
