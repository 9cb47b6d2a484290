# A study file of schema 2 (tests/fixtures/schema2.sql, written by hps before schema 3
# and left as by a kill -9) opens migrated: trial states by name, the direction only in
# the config, every row intact; status and the leaderboard read it, and `hps run`
# resumes its study with the same config file and finishes it.
# A file of schema 3 (tests/fixtures/schema3.sql: a log float, an int, a categorical, a
# stepped float) opens migrated to 4: every trial's params filled, the view
# trial_params shows each value decoded from x as the user sees it (also for trials
# run after the migration), workers.key and the index trials_state_value are there.
# A file of schema 4 (a file of today without the model registry's tables) opens
# migrated to 5: model_versions and model_stages are there, empty, every row intact.
. "$(dirname "$0")/lib.sh"
DB=$TMP/old.db
load_fixture() { # load_fixture FILE NAME: the fixture's SQL into FILE
    python3 - "$1" "$(dirname "$0")/fixtures/$2" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.executescript(open(sys.argv[2]).read())
con.close()
PY
}
load_fixture "$DB" schema2.sql
before=$(sql "SELECT id, number, hex(x), value, attempt FROM trials WHERE state = 2 ORDER BY id")
[ "$(sql "PRAGMA user_version")" = 2 ] || fail "fixture is not schema 2"

"$HPS" status --db "$DB" --json >"$TMP/status.json" || fail "status on a schema-2 file"
[ "$(sql "PRAGMA user_version")" = 5 ] || fail "not migrated: $(sql "PRAGMA user_version")"
python3 - "$TMP/status.json" <<'PY' || fail "status after migration: $(cat "$TMP/status.json")"
import json, sys
st = {s["study"]: s for s in json.load(open(sys.argv[1]))["studies"]}
assert st["old"]["trials"] == {"COMPLETE": 3, "RUNNING": 1, "WAITING": 1, "FAIL": 0,
                               "PRUNED": 1}, st["old"]
assert st["old"]["n_trials"] == 6 and st["old"]["best"]["trial"] == 3, st["old"]
assert st["up"]["n_trials"] == 3 and st["up"]["best"]["trial"] == 1, st["up"]  # maximised
PY
[ "$(sql "SELECT state, COUNT(*) FROM trials GROUP BY state ORDER BY state")" = \
  "$(printf 'COMPLETE|6\nPRUNED|1\nRUNNING|1\nWAITING|1')" ] \
    || fail "states: $(sql "SELECT state FROM trials")"
[ "$(sql "SELECT state, COUNT(*) FROM tells GROUP BY state ORDER BY state")" = \
  "$(printf 'COMPLETE|6\nPRUNED|1')" ] || fail "tells: $(sql "SELECT * FROM tells")"
[ "$(sql "SELECT id, number, hex(x), value, attempt FROM trials WHERE state = 'COMPLETE'
          ORDER BY id")" = "$before" ] || fail "completed trials changed"
[ "$(sql "SELECT json_extract(config, '$.direction') FROM studies ORDER BY id")" = \
  "$(printf 'minimize\nmaximize')" ] || fail "direction: $(sql "SELECT config FROM studies")"
sql "SELECT direction FROM studies" 2>/dev/null && fail "the direction column is still there"
sql "SELECT n_trials FROM studies" 2>/dev/null && fail "the n_trials column is still there"
"$HPS" leaderboard --db "$DB" --format csv >"$TMP/board.csv" || fail "leaderboard"
grep -q '^1,up,value,maximize,' "$TMP/board.csv" || fail "leaderboard: $(cat "$TMP/board.csv")"

# The same config file resumes the study (its stored config, now stating the
# direction, equals what this hps makes of the file) and finishes it.
write_study "$TMP/old.yaml" old 6 "sampler: {type: random, seed: 1}"
"$HPS" run "$TMP/old.yaml" -j 2 --db "$DB" -q >"$TMP/run.out" 2>"$TMP/run.err" \
    || fail "resume: $(cat "$TMP/run.err")"
[ "$(count_state COMPLETE)" = 8 ] && [ "$(count_state PRUNED)" = 1 ] \
    || fail "after resume: $("$HPS" status --db "$DB" --json)"
[ "$(sql "SELECT state FROM studies WHERE name = 'old'")" = done ] || fail "not done"
echo "ok: a schema-2 file migrated (states by name, direction in the config) and resumed"

# ---- schema 3 -> 4
DB=$TMP/v3.db
load_fixture "$DB" schema3.sql
[ "$(sql "PRAGMA user_version")" = 3 ] || fail "fixture is not schema 3"
sql "SELECT params FROM trials" 2>/dev/null && fail "the fixture has params already"
"$HPS" status --db "$DB" >/dev/null || fail "status on a schema-3 file"
[ "$(sql "PRAGMA user_version")" = 5 ] || fail "not migrated to 5: $(sql "PRAGMA user_version")"
[ "$(sql "SELECT COUNT(*), COUNT(key) FROM workers")" = "2|0" ] || fail "workers.key"
[ "$(sql "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trials'
          AND name NOT LIKE 'sqlite_%'")" = trials_state_value ] \
    || fail "indexes: $(sql "SELECT name, sql FROM sqlite_master WHERE type = 'index'")"
# more trials after the migration (a second study: the first is done)
sed 's/^study: mix$/study: mix2/; s/seed: 7/seed: 8/' "$(dirname "$0")/fixtures/schema3.yaml" \
    >"$TMP/mix2.yaml"
"$HPS" run "$TMP/mix2.yaml" -j 2 --db "$DB" -q >/dev/null || fail "run after the migration"
# every trial's rows in the view are its x decoded by the space (python's own decoding)
python3 - "$DB" <<'PY' || fail "trial_params does not show the decoded values"
import sqlite3, struct, sys
con = sqlite3.connect(sys.argv[1])
choices = ["gbtree", "dart", 3]
n = 0
for study, number, x in con.execute("SELECT s.name, t.number, t.x FROM trials t"
                                    " JOIN studies s ON s.id = t.study_id"):
    lr, depth, booster, frac = struct.unpack("<4d", x)
    want = [("lr", lr, "real"), ("depth", int(depth), "integer"),
            ("booster", choices[int(booster)], "text" if int(booster) < 2 else "integer"),
            ("frac", frac, "real")]
    got = con.execute("SELECT name, value, typeof(value) FROM trial_params"
                      " WHERE study = ? AND number = ? AND kind = 'search'",
                      (study, number)).fetchall()
    assert got == want, (study, number, got, want)
    n += 1
assert n == 10, n
assert con.execute("SELECT COUNT(*) FROM trial_params").fetchone()[0] == 40
PY
echo "ok: a schema-3 file migrated to 4 (params decoded in trial_params, workers.key, index)"

# ---- schema 4 -> 5
cp "$DB" "$TMP/v4.db"
DB=$TMP/v4.db
python3 - "$DB" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.executescript("DROP TABLE model_versions; DROP TABLE model_stages; PRAGMA user_version = 4;")
con.close()
PY
before=$(sql "SELECT COUNT(*), SUM(value) FROM trials")
"$HPS" models --db "$DB" >/dev/null || fail "models on a schema-4 file"
[ "$(sql "PRAGMA user_version")" = 5 ] || fail "not migrated to 5: $(sql "PRAGMA user_version")"
[ "$(sql "SELECT COUNT(*) FROM model_versions") $(sql "SELECT COUNT(*) FROM model_stages")" \
  = "0 0" ] || fail "registry tables"
[ "$(sql "SELECT COUNT(*), SUM(value) FROM trials")" = "$before" ] || fail "rows changed"
echo "ok: a schema-4 file migrated to 5 (the model registry's tables, rows intact)"
