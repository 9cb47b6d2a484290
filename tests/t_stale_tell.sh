# A worker frozen mid-trial (SIGSTOP) loses its lease; the trial re-runs elsewhere as
# attempt 2. When the frozen worker thaws, its late TELL for attempt 1 is ACKed,
# recorded as stale, and changes nothing: exactly n_trials COMPLETE, each once.
. "$(dirname "$0")/lib.sh"
DB=$TMP/st.db
write_study "$TMP/s.yaml" stale 4 "objective: {type: synthetic, function: sphere, sleep_ms: 1500}" \
    "sampler: {type: random, seed: 8}"
start_coord --lease-ms 1000
start w1 "$HPS" worker --connect "$ep" --name frozen
frozen=$LAST_PID
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE worker = 'frozen' AND state = 'RUNNING'" 1
trial=$(sql "SELECT id FROM trials WHERE worker = 'frozen' AND state = 'RUNNING'")
# freeze the worker and its trial process (own session, so name it too)
child=$(pgrep -P "$frozen" | head -1)
sid=$(ps -o sid= -p "$child" | tr -d ' ')
[ -n "$child" ] && [ -n "$sid" ] || fail "no trial process of the worker found (procps missing?)"
pkill -STOP -s "$sid"
kill -STOP "$frozen"
start w2 "$HPS" worker --connect "$ep" --name thawed-rescuer
# the rescuer finishes attempt 2 while the first worker is frozen
wait_sql 60 "SELECT state, attempt FROM trials WHERE id = $trial" "COMPLETE|2"
value2=$(sql "SELECT value FROM trials WHERE id = $trial")
pkill -CONT -s "$sid"
kill -CONT "$frozen"
wait_for 60 "st['studies'][0]['state'] == 'done'"
# the late TELL arrives (the thawed worker retries until ACKed): logged stale
wait_sql 30 "SELECT stale FROM tells WHERE trial_id = $trial AND attempt = 1" "1"
[ "$(sql "SELECT value, attempt, worker FROM trials WHERE id = $trial")" = "$value2|2|thawed-rescuer" ] \
    || fail "stale TELL changed the trial: $(sql "SELECT value, attempt, worker FROM trials WHERE id = $trial")"
[ "$(count_state COMPLETE)" = 4 ] || fail "COMPLETE != 4"
[ "$(sql "SELECT COUNT(*) FROM tells WHERE stale = 0")" = 4 ] || fail "non-stale tells"
echo "ok: trial $trial attempt 1's late TELL recorded stale and ignored"
