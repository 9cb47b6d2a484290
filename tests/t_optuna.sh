# Optuna round trips, live against Debian's python3-optuna (/usr/bin/python3, no pandas):
# an hps study (float, log float, int, step int, categorical; a pruner with reported
# steps; failures) exported with `hps export --format optuna` opens with
# optuna.load_study with the same trials, states, values, params and distributions (as
# Optuna's own distribution_to_json writes them), steps, and the same best trial; and a
# study made by Optuna imports with `hps import`, continues for 10 more trials under
# hps (numbering after it, the imported 20 unchanged), and exports back.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
OS="$PY $root/tests/optuna_study.py"
$PY -c 'import optuna' 2>/dev/null || fail "python3-optuna is missing (scripts/deps.sh installs it)"
DB=$TMP/h.db
"$HPS" run "$root/tests/fixtures/interop_mix.yaml" -j 2 --db "$DB" -q >/dev/null
expect 0 "$HPS" export mix --db "$DB" --format optuna -o "$TMP/o.db"
expect_err 2 "exists (--force replaces it)" "$HPS" export mix --db "$DB" --format optuna -o "$TMP/o.db"
expect_err 2 "no study 'nope'" "$HPS" export nope --db "$DB" --format optuna -o "$TMP/n.db"
[ ! -e "$TMP/n.db" ] || fail "a failed export left a file"
expect 0 "$HPS" export mix --db "$DB" --format optuna -o "$TMP/o.db" --force
$OS dump "$TMP/o.db" mix >"$TMP/dump.jsonl" || fail "optuna.load_study failed"
$OS best "$TMP/o.db" mix >"$TMP/best.json"
"$HPS" status --db "$DB" --json >"$TMP/status.json"

# Each trial as hps stored it (the x blob decoded with the study's space) against what
# Optuna loaded; the distributions against Optuna's own JSON for the same space.
$PY - "$DB" "$TMP/dump.jsonl" "$TMP/best.json" "$TMP/status.json" <<'PY' || fail "hps -> optuna"
import json, sqlite3, struct, sys
import optuna.distributions as D
db, dump, best, status = sys.argv[1:]
space = [("f", D.FloatDistribution(-2, 2)), ("lf", D.FloatDistribution(0.001, 1, log=True)),
         ("i", D.IntDistribution(-3, 3)), ("si", D.IntDistribution(0, 20, step=5)),
         ("c", D.CategoricalDistribution(["a", 1, 2.5, True]))]
con = sqlite3.connect(db)
hps = {}
for tid, number, state, value, x in con.execute(
        "SELECT id, number, state, value, x FROM trials WHERE kind = 'search'"):
    xs = struct.unpack("<%dd" % (len(x) // 8), x)
    params = {}
    for (name, dist), v in zip(space, xs):
        if isinstance(dist, D.CategoricalDistribution):
            params[name] = dist.choices[int(v)]
        elif isinstance(dist, D.IntDistribution):
            params[name] = int(v)
        else:
            params[name] = v
    steps = {str(s): v for s, v in con.execute(
        "SELECT step, value FROM intermediate WHERE trial_id = ? ORDER BY step", (tid,))}
    hps[number] = dict(state=state, value=value, params=params, steps=steps)
opt = [json.loads(l) for l in open(dump)]
assert len(opt) == len(hps) == 30, (len(opt), len(hps))
want_dists = {n: D.distribution_to_json(d) for n, d in space}
states = {}
for t in opt:
    h = hps[t["number"]]
    states[t["state"]] = states.get(t["state"], 0) + 1
    assert t["state"] == h["state"], (t, h)
    assert t["value"] == h["value"] or (t["state"] == "FAIL" and t["value"] is None), (t, h)
    assert t["params"] == h["params"], (t["params"], h["params"])
    assert t["dists"] == want_dists, t["dists"]
    assert t["steps"] == h["steps"], (t["steps"], h["steps"])
    assert t["complete"] != "None" and t["start"] <= t["complete"], t
assert states.get("COMPLETE", 0) >= 10 and states.get("PRUNED", 0) >= 1 \
    and states.get("FAIL", 0) >= 1, states
b, st = json.load(open(best)), json.load(open(status))["studies"][0]["best"]
assert b["direction"] == "MINIMIZE" and b["number"] == st["trial"] and b["value"] == st["value"], (b, st)
print("ok: hps -> optuna: 30 trials %s, best #%d = %g" % (states, b["number"], b["value"]))
PY

# The other way: a study Optuna made, imported and continued by hps.
$OS make "$TMP/op.db" ostudy 20
expect 0 "$HPS" import "$TMP/op.db" --study ostudy --print-config
sed -e 's/^n_trials: 21 .*/n_trials: 31/' \
    -e 's/^# objective:.*/objective: {type: synthetic, function: sphere}/' "$TMP/out" >"$TMP/c.yaml"
grep -q '^  width: {type: int, low: 16, high: 128, step: 16}$' "$TMP/c.yaml" \
    || fail "printed config: $(cat "$TMP/c.yaml")"
# the template's own objective line, uncommented, is a valid config as it stands
sed 's/^# objective:/objective:/' "$TMP/out" >"$TMP/cmd.yaml"
expect 0 "$HPS" import "$TMP/op.db" --study ostudy --config "$TMP/cmd.yaml" --db "$TMP/cmd.db"
# A config whose space is not the Optuna study's is refused, naming what differs, and
# nothing is written.
sed 's/high: 128, step: 16/high: 112, step: 16/' "$TMP/c.yaml" >"$TMP/bad.yaml"
expect_err 2 "space.width: high is 112 in the config, 128 in the Optuna study" \
    "$HPS" import "$TMP/op.db" --study ostudy --config "$TMP/bad.yaml" --db "$TMP/i.db"
expect_err 2 "no Optuna study named 'nope'" \
    "$HPS" import "$TMP/op.db" --study nope --config "$TMP/c.yaml" --db "$TMP/i.db"
$OS cond "$TMP/cond.db" cond
expect 0 "$HPS" import "$TMP/cond.db" --study cond --print-config
sed 's/^# objective:.*/objective: {type: synthetic, function: sphere}/' "$TMP/out" >"$TMP/cond.yaml"
expect_err 2 "Optuna trial 1 has no value for 'y' (a conditional parameter)" \
    "$HPS" import "$TMP/cond.db" --study cond --config "$TMP/cond.yaml" --db "$TMP/i.db"
# an edited file with a gap in the trial numbers would leave the study waiting for good
cp "$TMP/op.db" "$TMP/gap.db"
sqlite3 "$TMP/gap.db" "UPDATE trials SET number = 99 WHERE number = 4" || fail "sqlite3 gap"
expect_err 2 "trial numbers must run 0..20 without a gap or repeat" \
    "$HPS" import "$TMP/gap.db" --study ostudy --config "$TMP/c.yaml" --db "$TMP/i.db"
[ ! -e "$TMP/i.db" ] || fail "a refused import wrote a database"
expect_err 0 "1 trials running or waiting in the Optuna study imported as FAIL" \
    "$HPS" import "$TMP/op.db" --study ostudy --config "$TMP/c.yaml" --db "$TMP/i.db"
grep -qx "imported 21 trials of Optuna study 'ostudy' as 'ostudy' into $TMP/i.db" "$TMP/out" \
    || fail "import: $(cat "$TMP/out")"
expect_err 2 "exists already" \
    "$HPS" import "$TMP/op.db" --study ostudy --config "$TMP/c.yaml" --db "$TMP/i.db"
DB=$TMP/i.db
# a coordinator serving the file would not see an imported study: refused under its lock
start_coord
deadline=$(( $(date +%s) + 20 ))
until "$HPS" status --to "$ep" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "the coordinator never answered"
    sleep 0.1
done
expect_err 1 "stop it first" \
    "$HPS" import "$TMP/op.db" --study ostudy --as other --config "$TMP/c.yaml" --db "$DB"
kill "$COORD"; wait "$COORD" 2>/dev/null || true
[ "$(sql "SELECT COUNT(*) FROM studies WHERE name = 'other'")" = 0 ] \
    || fail "an import refused under a coordinator's lock stored its study"
[ "$(sql "SELECT number, state, error FROM trials WHERE error IS NOT NULL ORDER BY number")" = \
"12|FAIL|imported from Optuna: no value for lr, n, width, act (recorded at their low end)
20|FAIL|imported from Optuna: RUNNING or WAITING there, never finished; no value for lr, n, width, act (recorded at their low end)" ] \
    || fail "notes of the imported failures: $(sql "SELECT number, error FROM trials WHERE error IS NOT NULL")"
# imported points are plain SQL like any other (the view trial_params)
[ "$(sql "SELECT COUNT(*) FROM trial_params WHERE number < 21")" = 105 ] \
    || fail "trial_params of the imported trials: $(sql "SELECT COUNT(*) FROM trial_params")"
"$HPS" run "$TMP/c.yaml" --db "$TMP/i.db" -j 2 -q >/dev/null
expect 0 "$HPS" export ostudy --db "$TMP/i.db" --format optuna -o "$TMP/back.db"
$OS dump "$TMP/op.db" ostudy >"$TMP/orig.jsonl"
$OS dump "$TMP/back.db" ostudy >"$TMP/back.jsonl"
$PY - "$TMP/orig.jsonl" "$TMP/back.jsonl" <<'PY' || fail "optuna -> hps -> optuna"
import json, sys
orig = [json.loads(l) for l in open(sys.argv[1])]
back = [json.loads(l) for l in open(sys.argv[2])]
assert len(orig) == 21 and [t["number"] for t in back] == list(range(31)), \
    [t["number"] for t in back]
for o, b in zip(orig, back[:21]):
    keys = ["number", "state", "value", "params", "dists", "steps", "start", "complete"]
    if o["number"] in (12, 20):
        # failed (12) or left running (20) with only x: FAIL in hps, x kept, the
        # other parameters at their low end
        assert list(o["params"]) == ["x"] and b["state"] == "FAIL", (o, b)
        assert b["params"]["x"] == o["params"]["x"] and b["params"]["n"] == 1, b
        keys = ["number", "value", "steps", "start"] + (["state", "complete"] if o["number"] == 12 else [])
    for k in keys:
        assert o[k] == b[k], (k, o[k], b[k])
new = back[21:]
assert all(t["state"] == "COMPLETE" and set(t["params"]) == set(orig[0]["params"]) for t in new), new
print("ok: optuna -> hps: 21 imported (%s; one RUNNING as FAIL), 10 more numbered 21..30" %
      ", ".join(sorted({t["state"] for t in orig})))
PY
