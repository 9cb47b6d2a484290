# A worker killed mid-trial and restarted under the same name (systemd style): the new
# process's HELLO releases the old one's lease at once, long before the lease would
# expire, and the trial re-runs as attempt 2.
. "$(dirname "$0")/lib.sh"
DB=$TMP/wr.db
write_study "$TMP/s.yaml" restart 3 "objective: {type: synthetic, function: sphere, sleep_ms: 1000}" \
    "sampler: {type: random, seed: 6}"
start_coord --lease-ms 60000
start w1 "$HPS" worker --connect "$ep" --name node7
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'" 1
trial=$(sql "SELECT id FROM trials WHERE state = 'RUNNING'")
kill -9 "$LAST_PID"
start w2 "$HPS" worker --connect "$ep" --name node7
# well inside the 60 s lease: only the released lease can explain a re-run
wait_for 20 "st['studies'][0]['state'] == 'done'"
[ "$(sql "SELECT attempt, state FROM trials WHERE id = $trial")" = "2|COMPLETE" ] \
    || fail "trial $trial: $(sql "SELECT attempt, state FROM trials WHERE id = $trial")"
[ "$(count_state COMPLETE)" = 3 ] || fail "COMPLETE != 3"
grep -q "worker node7 restarted" "$TMP/coord.log" || fail "no release logged"
echo "ok: the restarted worker's HELLO released trial $trial at once"
