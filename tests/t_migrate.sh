# A study file of schema 2 (tests/fixtures/schema2.sql, written by hps before schema 3
# and left as by a kill -9) opens migrated: trial states by name, the direction only in
# the config, every row intact; status and the leaderboard read it, and `hps run`
# resumes its study with the same config file and finishes it.
. "$(dirname "$0")/lib.sh"
DB=$TMP/old.db
python3 - "$DB" "$(dirname "$0")/fixtures/schema2.sql" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.executescript(open(sys.argv[2]).read())
con.close()
PY
before=$(sql "SELECT id, number, hex(x), value, attempt FROM trials WHERE state = 2 ORDER BY id")
[ "$(sql "PRAGMA user_version")" = 2 ] || fail "fixture is not schema 2"

"$HPS" status --db "$DB" --json >"$TMP/status.json" || fail "status on a schema-2 file"
[ "$(sql "PRAGMA user_version")" = 3 ] || fail "not migrated: $(sql "PRAGMA user_version")"
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
