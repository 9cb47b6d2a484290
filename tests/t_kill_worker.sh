# kill -9 a worker mid-trial: its lease expires, the trial re-runs elsewhere as attempt 2,
# and the study still ends with exactly n_trials COMPLETE.
. "$(dirname "$0")/lib.sh"
DB=$TMP/k.db
write_study "$TMP/s.yaml" killw 6 "objective: {type: synthetic, function: sphere, sleep_ms: 1500}" \
    "sampler: {type: random, seed: 3}"
start_coord --lease-ms 1500
start w1 "$HPS" worker --connect "$ep" --name victim
victim=$LAST_PID
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
# wait until the victim holds a running trial, then kill it
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE worker = 'victim' AND state = 'RUNNING'" 1
killed=$(sql "SELECT id FROM trials WHERE worker = 'victim' AND state = 'RUNNING'")
kill -9 "$victim"
start w2 "$HPS" worker --connect "$ep" --name rescuer
wait_for 90 "st['studies'][0]['state'] == 'done'"
[ "$(count_state COMPLETE)" = 6 ] || fail "COMPLETE != 6"
[ "$(sql "SELECT attempt, worker, state FROM trials WHERE id = $killed")" = "2|rescuer|COMPLETE" ] \
    || fail "killed trial: $(sql "SELECT attempt, worker, state FROM trials WHERE id = $killed")"
[ "$(sql "SELECT COUNT(*) FROM trials")" = 6 ] || fail "extra trials"
echo "ok: trial $killed re-ran on rescuer as attempt 2"
