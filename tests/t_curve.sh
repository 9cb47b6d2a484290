# A CURVE cluster on a second loopback address (127.0.0.2): a worker whose key is on the
# allow-list runs the study; one with an unknown key, and one without keys, get nothing;
# only a submitter's key may submit. Binding off loopback without keys is refused.
. "$(dirname "$0")/lib.sh"
DB=$TMP/cv.db
port=$(free_port)
ep=tcp://127.0.0.2:$port
K=$TMP/keys
mkdir -p "$K" "$TMP/allow" "$TMP/submitters"
for n in coord good bad admin; do "$HPS" keygen -o "$K" --name $n >/dev/null; done
cp "$K/good.key" "$K/admin.key" "$TMP/allow/"
cp "$K/admin.key" "$TMP/submitters/"
set +e
"$HPS" coordinator --bind "tcp://0.0.0.0:$port" --db "$TMP/x.db" 2>"$TMP/nokeys.txt"; rc=$?
set -e
[ $rc = 2 ] && grep -q "CURVE keys are required" "$TMP/nokeys.txt" || fail "plain non-loopback bind: $rc"
[ ! -e "$TMP/x.db" ] || fail "refused coordinator created a DB"
start_coord --cert "$K/coord.key_secret" --allow "$TMP/allow" --submitters "$TMP/submitters"
start bad "$HPS" worker --connect "$ep" --name bad --cert "$K/bad.key_secret" --server-key "$K/coord.key"
start plain "$HPS" worker --connect "$ep" --name plain
write_study "$TMP/s.yaml" curve 20 "sampler: {type: random, seed: 2}"
set +e
"$HPS" submit "$TMP/s.yaml" --to "$ep" --cert "$K/good.key_secret" --server-key "$K/coord.key" \
    --timeout 3 2>"$TMP/sub1.txt"; rc=$?
set -e
[ $rc = 1 ] && grep -q "may not submit" "$TMP/sub1.txt" || fail "worker key could submit ($rc)"
"$HPS" submit "$TMP/s.yaml" --to "$ep" --cert "$K/admin.key_secret" --server-key "$K/coord.key" >/dev/null
# Nothing can run before an allowed worker exists: the two others are not let in.
sleep 1
[ "$(sql "SELECT COUNT(*) FROM trials")" = 0 ] || fail "a refused worker got a trial"
start good "$HPS" worker --connect "$ep" --name good --cert "$K/good.key_secret" --server-key "$K/coord.key"
wait_for 60 "st['studies'][0]['state'] == 'done'"
[ "$(sql "SELECT COUNT(*), MIN(worker), MAX(worker) FROM trials WHERE state = 'COMPLETE'")" = "20|good|good" ] \
    || fail "trials: $(sql "SELECT COUNT(*), MIN(worker), MAX(worker) FROM trials")"
[ "$(sql "SELECT COUNT(*) FROM workers WHERE name IN ('bad', 'plain')")" = 0 ] || fail "refused worker registered"
echo "ok: allowed key ran 20 trials; unknown and plain workers got nothing"
