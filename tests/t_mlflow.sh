# `hps export --format mlflow`: an MLflow FileStore tree (mlruns/), checked by a reader
# written here from FileStore's layout (mlflow/store/tracking/file_store.py; MLflow is
# not installable here): every file is read and typed as FileStore reads it, and its
# content compared with the hps database: one experiment per study, a run per trial
# (status by state, params decoded, metrics with steps, tags) and the final refit as its
# own run with the test score.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
DB=$TMP/h.db
cat >"$TMP/reg.yaml" <<Y
study: reg
n_trials: 3
data: {path: $root/data/diabetes.csv, target: target}
objective: {type: ridge}
space:
  alpha: {type: float, low: 0.01, high: 10, log: true}
sampler: {type: random, seed: 4}
strategy: {type: balanced}
Y
"$HPS" run "$root/tests/fixtures/interop_mix.yaml" n_trials=20 -j 2 --db "$DB" -q >/dev/null
"$HPS" run "$TMP/reg.yaml" -j 2 --db "$DB" -q >/dev/null
[ "$(sql "SELECT COUNT(*) FROM trials WHERE kind = 'final' AND test_score IS NOT NULL")" = 1 ] \
    || fail "no final refit with a test score"
for s in mix reg; do
    expect 0 "$HPS" export $s --db "$DB" --format mlflow -o "$TMP/mlruns"
done
expect_err 2 "was exported there already (--force replaces it)" \
    "$HPS" export mix --db "$DB" --format mlflow -o "$TMP/mlruns"
expect 0 "$HPS" export mix --db "$DB" --format mlflow -o "$TMP/mlruns" --force
expect_err 2 "no study 'nope'" "$HPS" export nope --db "$DB" --format mlflow -o "$TMP/mlruns"
[ -z "$(ls -A "$TMP/mlruns" | grep -v -e '^\.trash$' -e '^[0-9]*$')" ] \
    || fail "stray files in mlruns: $(ls -A "$TMP/mlruns")"

python3 - "$TMP/mlruns" "$DB" <<'PY' || fail "the mlruns tree"
import math, os, re, sqlite3, struct, sys
import yaml
root, db = sys.argv[1:]

def read(path):  # FileStore's read_file: the whole text
    with open(path, encoding="utf-8") as f:
        return f.read()

def meta(path, keys):
    m = yaml.safe_load(read(os.path.join(path, "meta.yaml")))
    assert isinstance(m, dict) and set(m) == keys, (path, sorted(m))
    return m

EXP_KEYS = {"artifact_location", "creation_time", "experiment_id", "last_update_time",
            "lifecycle_stage", "name"}
RUN_KEYS = {"artifact_uri", "deleted_time", "end_time", "entry_point_name", "experiment_id",
            "lifecycle_stage", "run_id", "run_name", "run_uuid", "source_name", "source_type",
            "source_version", "start_time", "status", "tags", "user_id"}
RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")  # FileStore's _validate_run_id
STATUS = {"WAITING": 2, "RUNNING": 1, "COMPLETE": 3, "PRUNED": 5, "FAIL": 4}

def files(d):  # {name: text} of a run's params/, metrics/ or tags/
    return {n: read(os.path.join(d, n)) for n in os.listdir(d)} if os.path.isdir(d) else {}

def read_run(exp_dir, exp_id, run_id):
    d = os.path.join(exp_dir, run_id)
    m = meta(d, RUN_KEYS)
    assert RUN_ID.match(run_id) and m["run_id"] == m["run_uuid"] == run_id, m
    assert m["experiment_id"] == exp_id and isinstance(m["experiment_id"], str), m
    assert m["artifact_uri"] == "file://%s/artifacts" % os.path.abspath(d), m
    assert os.path.isdir(os.path.join(d, "artifacts")), d
    assert m["lifecycle_stage"] == "active" and m["deleted_time"] is None and m["tags"] == []
    assert m["source_type"] == 4 and m["source_name"] == m["source_version"] == "" \
        and m["entry_point_name"] == "", m
    assert isinstance(m["start_time"], int) and m["status"] in (1, 2, 3, 4, 5), m
    assert m["end_time"] is None or (isinstance(m["end_time"], int) and
                                     m["end_time"] >= m["start_time"]), m
    assert isinstance(m["user_id"], str) and isinstance(m["run_name"], str), m
    metrics = {}
    for name, text in files(os.path.join(d, "metrics")).items():
        rows = []
        for line in text.splitlines():
            ts, value, step = line.strip().split(" ")  # FileStore: 2 or 3 fields
            rows.append((int(ts), float(value), int(step)))
        assert rows, (d, name)
        metrics[name] = rows
    params = files(os.path.join(d, "params"))
    tags = files(os.path.join(d, "tags"))
    assert tags["mlflow.runName"] == m["run_name"], (tags, m)
    assert not any(v.endswith("\n") for v in list(params.values()) + list(tags.values()))
    return dict(meta=m, metrics=metrics, params=params, tags=tags)

exps = {}
for e in os.listdir(root):
    if e == ".trash":
        assert os.path.isdir(os.path.join(root, e))
        continue
    d = os.path.join(root, e)
    m = meta(d, EXP_KEYS)
    assert m["experiment_id"] == e and isinstance(m["experiment_id"], str), m
    assert m["artifact_location"] == "file://" + os.path.abspath(d), m
    assert m["lifecycle_stage"] == "active" and isinstance(m["creation_time"], int), m
    runs = {r: read_run(d, e, r) for r in os.listdir(d)
            if r not in ("tags", "datasets", "traces") and os.path.isdir(os.path.join(d, r))}
    exps[m["name"]] = dict(tags=files(os.path.join(d, "tags")), runs=runs)
assert set(exps) == {"mix", "reg"}, exps.keys()

con = sqlite3.connect(db)
choices = {"c": ["a", "1", "2.5", "True"]}
for study, names in (("mix", ["f", "lf", "i", "si", "c"]), ("reg", ["alpha"])):
    exp = exps[study]
    direction = "maximize" if '"maximize"' in con.execute(
        "SELECT config FROM studies WHERE name = ?", (study,)).fetchone()[0] else "minimize"
    assert exp["tags"] == {"hps.direction": direction}, exp["tags"]
    runs = {(r["tags"]["hps.kind"], int(r["tags"]["hps.number"])): r for r in exp["runs"].values()}
    rows = con.execute("SELECT t.id, t.kind, t.number, t.state, t.value, t.x, t.attempt,"
                       " t.worker, t.test_score FROM trials t JOIN studies s ON s.id ="
                       " t.study_id WHERE s.name = ?", (study,)).fetchall()
    assert len(runs) == len(rows) == len(exp["runs"]), (study, len(runs), len(rows))
    for tid, kind, number, state, value, x, attempt, worker, test in rows:
        r = runs[(kind, number)]
        assert r["meta"]["status"] == STATUS[state], (state, r["meta"])
        assert r["meta"]["run_name"] == ("final-refit" if kind == "final" else "trial-%d" % number)
        assert r["tags"]["hps.state"] == state and r["tags"]["hps.attempt"] == str(attempt)
        assert r["tags"].get("hps.worker") == worker, (r["tags"], worker)
        xs = struct.unpack("<%dd" % (len(x) // 8), x)
        want = {}
        for n, v in zip(names, xs):
            want[n] = choices[n][int(v)] if n in choices else str(int(v)) if n in ("i", "si") else v
        got = {n: (t if n in choices or n in ("i", "si") else float(t)) for n, t in r["params"].items()}
        assert got == want, (got, want)
        if value is None:
            assert "value" not in r["metrics"], r["metrics"]
        else:
            assert [v for _, v, _ in r["metrics"]["value"]] == [value], (r["metrics"], value)
        steps = con.execute("SELECT step, value FROM intermediate WHERE trial_id = ? ORDER BY step",
                            (tid,)).fetchall()
        got_steps = [(s, v) for _, v, s in r["metrics"].get("intermediate_value", [])]
        assert got_steps == steps, (got_steps, steps)
        if kind == "final":
            assert r["metrics"]["test_score"][0][1] == test and r["meta"]["status"] == 3, r
    print("ok: %s: %d runs, statuses %s" % (study, len(runs),
          sorted({r["meta"]["status"] for r in runs.values()})))
assert {3, 4, 5} <= {r["meta"]["status"] for r in exps["mix"]["runs"].values()}
assert any(r["tags"]["hps.kind"] == "final" for r in exps["reg"]["runs"].values())
PY
