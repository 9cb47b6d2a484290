# A model upload (PUT naming a trial) is taken only from the worker running that trial
# now (red-team: a PUT with a made-up trial skipped the submitter check, so any worker
# key could store blobs for good). A plain PUT still needs a submitter.
. "$(dirname "$0")/lib.sh"
: "${RAWPEER:?RAWPEER must point at the tests/rawpeer binary (make check sets it)}"
DB=$TMP/p.db
start_coord
sha=$(printf abc | sha256sum | cut -c1-64)
put="PUT sha256=s:$sha offset=0 total=3 data=s:abc"
"$RAWPEER" --connect "$ep" --wait 2000 HELLO worker=evil host=h pid=pid slots=1 -- \
    $put trial=999999 attempt=1 -- $put trial=0 attempt=0 >"$TMP/put.out"
sed -n 2p "$TMP/put.out" | grep -q "^ERROR .*PUT for trial 999999 refused: trial 999999 attempt 1 is not running" \
    || fail "PUT for a trial not running: $(cat "$TMP/put.out")"
sed -n 3p "$TMP/put.out" | grep -q "^ERROR .*PUT for trial 0 refused" \
    || fail "PUT with attempt 0: $(cat "$TMP/put.out")"
[ -z "$(find "$DB.blobs" -name "$sha*")" ] || fail "the blob was stored: $(ls -R "$DB.blobs")"
echo "ok: a PUT naming a trial that is not running (or attempt 0) is refused and stores nothing"
