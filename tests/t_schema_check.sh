# A study file of the current schema with a table dropped or a column missing (or the
# view trial_params, or the best-trial index) is refused
# at open by every command (exit 1, the table named), and left byte for byte as it was:
# before, the coordinator started and then failed every TELL forever.
. "$(dirname "$0")/lib.sh"
DB=$TMP/s.db
write_study "$TMP/s.yaml" s 3 "sampler: {type: random, seed: 1}"
"$HPS" run "$TMP/s.yaml" -j 1 --db "$DB" -q >/dev/null
sql "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'" | grep -qx 3 || fail "setup"
# a state no hps writes is refused by the schema itself (CHECK)
python3 - "$DB" <<'PY' || fail "a trial state 77 was stored"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for q in ("UPDATE trials SET state = 77", "UPDATE tells SET state = 'DONE'"):
    try:
        con.execute(q)
        sys.exit(1)
    except sqlite3.IntegrityError as e:
        assert "CHECK" in str(e), e
PY
refused() { # refused WHAT SQL...: break the file with SQL, then every command refuses it
    local what=$1; shift
    cp "$DB" "$TMP/good.db"
    python3 - "$DB" "$@" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for q in sys.argv[2:]:
    con.execute(q)
con.commit()
con.close()
PY
    local before; before=$(sha256sum <"$DB")
    start_coord
    local rc=0 deadline=$(( $(date +%s) + 10 ))
    while kill -0 "$COORD" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "coordinator runs on a file with $what"
        sleep 0.1
    done
    wait "$COORD" || rc=$?
    [ "$rc" = 1 ] || fail "coordinator: exit $rc on a file with $what"
    grep -qF "not a complete hps study database: $what" "$TMP/coord.log" \
        || fail "coordinator: $(cat "$TMP/coord.log")"
    expect_err 1 "$DB: not a complete hps study database: $what" \
        "$HPS" run "$TMP/s.yaml" -j 1 --db "$DB"
    expect_err 1 "not a complete hps study database: $what" "$HPS" status --db "$DB"
    expect_err 1 "not a complete hps study database: $what" "$HPS" leaderboard --db "$DB"
    [ "$(sha256sum <"$DB")" = "$before" ] || fail "the file changed ($what)"
    mv "$TMP/good.db" "$DB"
}
refused "table 'tells' is missing" "DROP TABLE tells"
refused "table 'workers' has no column 'left_at'" "ALTER TABLE workers DROP COLUMN left_at"
refused "table 'tells' lacks its constraint" "DROP TABLE tells" \
    "CREATE TABLE tells(trial_id INTEGER NOT NULL, attempt INTEGER NOT NULL, state TEXT,
     value REAL, stale INTEGER NOT NULL, at REAL, PRIMARY KEY(trial_id, attempt))"
refused "view 'trial_params' is missing" "DROP VIEW trial_params"
refused "index 'trials_state_value' is missing" "DROP INDEX trials_state_value"
refused "table 'model_versions' is missing" "DROP TABLE model_versions"
refused "table 'model_stages' has no column 'who'" "ALTER TABLE model_stages DROP COLUMN who"
# the intact file still opens
expect 0 "$HPS" status --db "$DB"
echo "ok: a file missing a table, a column or a CHECK is refused by every command, untouched"
