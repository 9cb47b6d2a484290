# Files written before the owner-only rule (issue 12, item 5) are made owner-only on
# the next open for writing: a study file, -wal and -shm left 0644 by an older hps
# become 0600 when a coordinator opens them (one log line per file; a reader such as
# `hps status` changes nothing), blob files of the coordinator's folder 0600 and the
# folder 0700 (at start), and every blob written — imported by `hps run`, uploaded by
# submit, cached by a worker — is 0600, under umask 022.
. "$(dirname "$0")/lib.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)
umask 022
DB=$TMP/m.db
mode() { stat -c %a "$1"; }
# study FILE NAME CSV: a one-trial logreg study on a dataset
study() {
    cat >"$1" <<Y
study: $2
n_trials: 1
data: {path: $3, label: label}
objective: {type: logreg}
space:
  C: {type: float, low: 0.01, high: 10, log: true}
Y
}
head -n 300 "$data/breast_cancer.csv" >"$TMP/part.csv" # another dataset, another blob
study "$TMP/run.yaml" imported "$TMP/part.csv"
"$HPS" run "$TMP/run.yaml" -j 1 --db "$DB" -q >/dev/null 2>"$TMP/run.err" \
    || fail "run: $(cat "$TMP/run.err")"
blob=$DB.blobs/$(sha256sum <"$TMP/part.csv" | cut -d' ' -f1)
[ "$(mode "$DB")" = 600 ] && [ "$(mode "$blob")" = 600 ] \
    || fail "new files: $DB $(mode "$DB"), imported blob $(mode "$blob")"
echo "ok: a new study file and an imported blob are 0600"

# as an older hps left them: 0644, with the -wal and -shm of a killed writer
python3 - "$DB" <<'PY'
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA wal_autocheckpoint = 0")
con.execute("UPDATE workers SET slots = slots")
os._exit(0)  # no close: the -wal and -shm stay
PY
[ -e "$DB-wal" ] && [ -e "$DB-shm" ] || fail "no -wal/-shm left"
chmod 644 "$DB" "$DB-wal" "$DB-shm" "$blob"
chmod 755 "$DB.blobs"
"$HPS" status --db "$DB" >/dev/null || fail "status"
for f in "$DB" "$DB-wal" "$DB-shm"; do
    [ "$(mode "$f")" = 644 ] || fail "a reader changed $f: $(mode "$f")"
done
start_coord
wait_sql 10 "SELECT 1" 1
deadline=$(( $(date +%s) + 10 ))
until [ "$(grep -c "changed to 0600" "$TMP/coord.log")" = 4 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "not logged: $(cat "$TMP/coord.log")"
    sleep 0.05
done
for f in "$DB" "$DB-wal" "$DB-shm" "$blob"; do
    [ "$(mode "$f")" = 600 ] || fail "$f: mode $(mode "$f") after a coordinator opened it"
    [ "$(grep -c "$f: mode 0644 changed to 0600" "$TMP/coord.log")" = 1 ] \
        || fail "$f: not logged once: $(cat "$TMP/coord.log")"
done
[ "$(mode "$DB.blobs")" = 700 ] || fail "blob folder: $(mode "$DB.blobs")"
grep -q "$DB.blobs: mode 0755 changed to 0700" "$TMP/coord.log" || fail "blob folder not logged"
echo "ok: an old 0644 study file, -wal, -shm, blob (0755 folder) made owner-only, logged once"

# uploaded and cached blobs
study "$TMP/up.yaml" uploaded "$data/breast_cancer.csv"
"$HPS" submit "$TMP/up.yaml" --to "$ep" >/dev/null
sha=$(sha256sum <"$data/breast_cancer.csv" | cut -d' ' -f1)
start w1 "$HPS" worker --connect "$ep" --name w1 --cache "$TMP/cache" --max-trials 1
wait_sql 60 "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id
             WHERE s.name = 'uploaded' AND t.state = 'COMPLETE'" 1
[ "$(mode "$DB.blobs/$sha")" = 600 ] || fail "uploaded blob: $(mode "$DB.blobs/$sha")"
[ "$(mode "$TMP/cache/blobs/$sha")" = 600 ] || fail "cached blob: $(mode "$TMP/cache/blobs/$sha")"
for d in "$TMP/cache" "$TMP/cache/blobs" "$TMP/cache/features"; do
    [ "$(mode "$d")" = 700 ] || fail "worker cache folder $d: $(mode "$d")"
done
kill "$COORD"
wait "$COORD" 2>/dev/null || true
start_coord coord2
wait_sql 10 "SELECT 1" 1
! grep -q "changed to" "$TMP/coord2.log" || fail "changed again: $(cat "$TMP/coord2.log")"
echo "ok: uploaded and cached blobs are 0600; a second start changes nothing"
