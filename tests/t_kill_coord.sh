# kill -9 the coordinator twice during a study and restart it on the same DB: the study
# finishes with exactly n_trials COMPLETE, each number once, no duplicate completions.
. "$(dirname "$0")/lib.sh"
DB=$TMP/kc.db
port=$(free_port)
ep=tcp://127.0.0.1:$port
write_study "$TMP/s.yaml" killc 60 "sampler: {type: random, seed: 5}"
sed -i 's/function: sphere}/function: sphere, sleep_ms: 60}/' "$TMP/s.yaml"
coord() { start coord "$HPS" coordinator --bind "$ep" --db "$DB" --heartbeat-ms 200 --lease-ms 2000; COORD=$LAST_PID; }
coord
for i in 1 2 3; do start w$i "$HPS" worker --connect "$ep" --name k$i; done
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
for target in 15 35; do
    wait_for 60 "st['studies'][0]['trials']['COMPLETE'] >= $target"
    kill -9 "$COORD"
    wait "$COORD" 2>/dev/null || true
    sleep 0.3
    coord
done
wait_for 120 "st['studies'][0]['state'] == 'done'"
[ "$(count_state COMPLETE)" = 60 ] || fail "COMPLETE != 60"
[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT number), MAX(number) FROM trials")" = "60|60|59" ] \
    || fail "numbers: $(sql "SELECT COUNT(*), COUNT(DISTINCT number), MAX(number) FROM trials")"
[ "$(sql "SELECT COUNT(*) FROM (SELECT trial_id FROM tells WHERE stale = 0 GROUP BY trial_id HAVING COUNT(*) > 1)")" = 0 ] \
    || fail "a trial was completed twice"
echo "ok: 60 complete across two coordinator crashes"
