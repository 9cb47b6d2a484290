# hps enqueue (CSV over --db, JSON over --to): the given points run first, exactly as
# given; a bad point exits 2 naming file:line and the parameter, with nothing stored.
# warm_start: a TPE study seeded from 40 trials near the optimum proposes better points
# than the same study cold; an incompatible space is refused; a kill -9 of the
# coordinator replays the warm trials (the same trials as an uninterrupted run).
. "$(dirname "$0")/lib.sh"
DB=$TMP/w.db
sha() { sha256sum "$DB" | cut -d' ' -f1; }
wait_up() { # until the coordinator at $ep answers (it holds the file's lock by then)
    local deadline=$(( $(date +%s) + 15 ))
    until "$HPS" status --to "$ep" --timeout 1 >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "the coordinator does not answer"
        sleep 0.1
    done
}
write_study "$TMP/src.yaml" src 1 "sampler: {type: random, seed: 3}"
"$HPS" run "$TMP/src.yaml" --db "$DB" -q >/dev/null
expect 0 "$HPS" resume src n_trials=41 --db "$DB"
# 40 points spread around the optimum (0, 0) of the sphere, as CSV
python3 - "$TMP" <<'P'
import random, sys
r = random.Random(5)
rows = ["%.4f,%.4f" % (r.uniform(-2, 2), r.uniform(-2, 2)) for _ in range(40)]
open(sys.argv[1] + "/near.csv", "w").write("x,y\n" + "\n".join(rows) + "\n")
open(sys.argv[1] + "/bad.csv", "w").write("x,y\n0,0\n7,0\n")
open(sys.argv[1] + "/miss.csv", "w").write("x\n0\n")
open(sys.argv[1] + "/many.csv", "w").write("x,y\n" + "0,0\n" * 41)
P
before=$(sha)
expect_err 2 "bad.csv:3: param 'x': 7 out of range" "$HPS" enqueue src "$TMP/bad.csv" --db "$DB"
expect_err 2 "miss.csv:2: param 'y' is missing" "$HPS" enqueue src "$TMP/miss.csv" --db "$DB"
expect_err 2 "n_trials=41" "$HPS" enqueue src "$TMP/many.csv" --db "$DB"
expect_err 2 "no study 'nope'" "$HPS" enqueue nope "$TMP/near.csv" --db "$DB"
# odd files: a device, a FIFO, a NUL byte in a point's value
expect_err 2 "/dev/zero: not a regular file" "$HPS" enqueue src /dev/zero --db "$DB"
mkfifo "$TMP/fifo.csv"
expect_err 2 "not a regular file" "$HPS" enqueue src "$TMP/fifo.csv" --db "$DB"
printf 'x,y\n0,0\x00\n' >"$TMP/nul.csv"
expect_err 2 "nul.csv:2: a NUL byte in a field" "$HPS" enqueue src "$TMP/nul.csv" --db "$DB"
[ "$(sha)" = "$before" ] || fail "a refused enqueue changed the file"
# refused while a coordinator serves the file, as hps resume --db is
start_coord
wait_up
expect_err 1 "hps enqueue --to ENDPOINT asks it" "$HPS" enqueue src "$TMP/near.csv" --db "$DB"
kill -9 "$COORD"; wait "$COORD" 2>/dev/null || true
expect 0 "$HPS" enqueue src "$TMP/near.csv" --db "$DB"
grep -q "enqueued 40 trials into study 'src' (numbers 1 to 40)" "$TMP/out" || fail "$(cat "$TMP/out")"
"$HPS" run "$TMP/src.yaml" n_trials=41 --db "$DB" -q >/dev/null
"$HPS" trials src --db "$DB" --format json >"$TMP/src.json"
python3 - "$TMP" <<'P' || fail "enqueued CSV points did not run as given"
import json, sys
t = sys.argv[1]
rows = [l.split(",") for l in open(t + "/near.csv").read().split()[1:]]
trials = {r["number"]: r for r in json.load(open(t + "/src.json"))}
for i, (x, y) in enumerate(rows, 1):
    p = trials[i]["params"]
    assert trials[i]["state"] == "COMPLETE" and p == {"x": float(x), "y": float(y)}, (i, p, x, y)
P

# ---- JSON over --to: an int with a step and a categorical --------------------------
DB=$TMP/q.db
cat >"$TMP/q.yaml" <<'Y'
study: q
n_trials: 3
objective: {type: synthetic, function: sphere}
space:
  x: {type: float, low: -1, high: 1}
  n: {type: int, low: 0, high: 10, step: 2}
  k: {type: categorical, choices: [l1, l2]}
sampler: {type: random, seed: 1}
Y
printf '[{"x": 0.25, "n": 4, "k": "l2"},\n {"k": "l1", "n": 10, "x": -1}]\n' >"$TMP/q.json"
printf '[{"x": 0.25, "n": 4, "k": "l2"},\n {"x": 0, "n": 4, "k": "l3"}]\n' >"$TMP/qbad.json"
ep=
start_coord
"$HPS" submit "$TMP/q.yaml" --to "$ep" >/dev/null
expect_err 2 "qbad.json:2:2: param 'k': \"l3\" not one of the choices" \
    "$HPS" enqueue q "$TMP/qbad.json" --to "$ep"
[ "$(sql "SELECT COUNT(*) FROM trials")" = 0 ] || fail "a refused ENQUEUE stored trials"
expect 0 "$HPS" enqueue q "$TMP/q.json" --to "$ep"
grep -q "enqueued 2 trials into study 'q' (numbers 0 to 1)" "$TMP/out" || fail "$(cat "$TMP/out")"
expect_err 2 "n_trials=3" "$HPS" enqueue q "$TMP/q.json" --to "$ep"
start w "$HPS" worker --connect "$ep" --name qw
wait_for 30 "st['studies'][0]['state'] == 'done'"
"$HPS" trials q --db "$DB" --format json >"$TMP/qt.json"
python3 - "$TMP/qt.json" <<'P' || fail "enqueued JSON points did not run as given"
import json, sys
t = {r["number"]: r["params"] for r in json.load(open(sys.argv[1]))}
assert t[0] == {"x": 0.25, "n": 4, "k": "l2"} and t[1] == {"x": -1, "n": 10, "k": "l1"}, t
assert len(t) == 3
P
kill -9 "$COORD" "$LAST_PID"

# ---- warm start -------------------------------------------------------------------
DB=$TMP/w.db
for s in cold warm; do
    write_study "$TMP/$s.yaml" $s 6 \
        "sampler: {type: tpe, seed: 7, deterministic: true, parallelism: 1}"
done
echo "warm_start: {study: src}" >>"$TMP/warm.yaml"
sed 's/^study: warm/study: bad/; s/high: 5}/high: 6}/' "$TMP/warm.yaml" >"$TMP/bad.yaml"
before=$(sha)
expect_err 2 "warm_start: param 'x': its low/high differ" "$HPS" run "$TMP/bad.yaml" --db "$DB"
[ "$(sha)" = "$before" ] || fail "a refused warm start changed the file"
"$HPS" run "$TMP/cold.yaml" --db "$DB" -q >/dev/null
"$HPS" run "$TMP/warm.yaml" --db "$DB" -q >/dev/null
for s in cold warm; do "$HPS" trials $s --db "$DB" --format json >"$TMP/$s.json"; done
python3 - "$TMP" <<'P' || fail "the warm start did not help"
import json, sys
v = {}
for s in ("cold", "warm"):
    trials = json.load(open(sys.argv[1] + "/%s.json" % s))
    assert [t["number"] for t in trials] == list(range(6)), trials  # the warm ones not shown
    v[s] = [t["value"] for t in trials]
print("sum of the first 6 values: cold %.3f, warm %.3f" % (sum(v["cold"]), sum(v["warm"])))
assert sum(v["warm"]) < sum(v["cold"]) / 2 and min(v["warm"]) < min(v["cold"]), v
P
status_py "b = [s for s in st['studies'] if s['study'] == 'warm'][0]; \
assert b['trials']['COMPLETE'] == 6 and b['best']['trial'] in range(6), b" \
    || fail "warm trials counted in the study's status"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE kind = 'warm'")" = 41 ] || fail "41 warm rows"

# A kill -9 of the coordinator in the middle replays the warm trials: the same 12
# trials as an uninterrupted run (deterministic TPE), here from another file (db:).
sed -i 's/^n_trials: 6/n_trials: 12/' "$TMP/warm.yaml"
sed -i "s|^warm_start: .*|warm_start: {study: src, db: $TMP/w.db}|" "$TMP/warm.yaml"
sed -i 's/function: sphere}/function: sphere, sleep_ms: 100}/' "$TMP/warm.yaml"
DB=$TMP/a.db
"$HPS" run "$TMP/warm.yaml" --db "$DB" -q >/dev/null
sql "SELECT number, hex(x) FROM trials WHERE kind = 'search' ORDER BY number" >"$TMP/a.txt"
DB=$TMP/k.db
ep=
start_coord --lease-ms 1000
"$HPS" submit "$TMP/warm.yaml" --to "$ep" >/dev/null
start w "$HPS" worker --connect "$ep" --name kw
wait_sql 30 "SELECT COUNT(*) >= 4 FROM trials WHERE state = 'COMPLETE'" 1
kill -9 "$COORD"; wait "$COORD" 2>/dev/null || true
start_coord --lease-ms 1000
wait_for 60 "st['studies'][0]['state'] == 'done'"
sql "SELECT number, hex(x) FROM trials WHERE kind = 'search' ORDER BY number" >"$TMP/k.txt"
[ "$(wc -l <"$TMP/a.txt")" = 12 ] || fail "$(wc -l <"$TMP/a.txt") trials"
cmp "$TMP/a.txt" "$TMP/k.txt" || fail "after a kill -9 the trials differ from an uninterrupted run"
echo "ok: enqueue csv/json over --db/--to; warm start helps, survives kill -9"
