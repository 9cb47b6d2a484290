# A stored study this coordinator cannot resume (its config names a sampler it lacks)
# is stopped with a logged reason; the other studies in the file still run.
. "$(dirname "$0")/lib.sh"
DB=$TMP/b.db
write_study "$TMP/a.yaml" good 20 "sampler: {type: random, seed: 1}"
write_study "$TMP/b.yaml" broken 20 "sampler: {type: random, seed: 2}"
start_coord
"$HPS" submit "$TMP/a.yaml" --to "$ep" >/dev/null
"$HPS" submit "$TMP/b.yaml" --to "$ep" >/dev/null
kill -9 "$COORD"
wait "$COORD" 2>/dev/null || true
python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE studies SET config = replace(config, '\"random\"', '\"annealing\"') WHERE name = 'broken'")
c.commit()
PY
start_coord coord2
start w "$HPS" worker --connect "$ep" --name w
wait_for 30 "[s for s in st['studies'] if s['study'] == 'good'][0]['state'] == 'done'"
[ "$(sql "SELECT state FROM studies WHERE name = 'broken'")" = stopped ] || fail "broken study not stopped"
grep -q "study broken cannot be resumed" "$TMP/coord2.log" || fail "no reason logged"
echo "ok: the unreadable study was stopped, the other ran to the end"
