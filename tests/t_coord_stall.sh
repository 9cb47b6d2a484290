# A coordinator stopped (SIGSTOP) for longer than a lease while its workers keep
# heartbeating: after SIGCONT the heartbeats queued meanwhile are handled before any
# lease expires, so no live worker loses a lease (no attempt 2, no stale TELL).
. "$(dirname "$0")/lib.sh"
DB=$TMP/st.db
write_study "$TMP/s.yaml" stall 60 "sampler: {type: random, seed: 2}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 150}"
start_coord --lease-ms 1000
for i in 1 2; do start w$i "$HPS" worker --connect "$ep" --name s$i --slots 2; done
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
for target in 8 24; do
    wait_for 60 "sum(s['trials']['COMPLETE'] for s in st['studies']) >= $target"
    kill -STOP "$COORD"
    sleep 3 # the stall itself: three leases long
    kill -CONT "$COORD"
done
wait_for 120 "all(s['state'] == 'done' for s in st['studies'])"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE attempt > 1")" = 0 ] \
    || fail "leases expired for live workers: $(sql "SELECT number, attempt FROM trials WHERE attempt > 1")"
[ "$(sql "SELECT COUNT(*) FROM tells WHERE stale")" = 0 ] || fail "stale TELLs"
grep -q "the coordinator did not run for [3-9]\.[0-9] s: no lease expires for 1.0 s" \
    "$TMP/coord.log" || fail "the stall went unnoticed: $(cat "$TMP/coord.log")"
[ "$(count_state COMPLETE)" = 60 ] || fail "COMPLETE $(count_state COMPLETE)"
echo "ok: two 3 s coordinator stalls (lease 1 s): no lease of a live worker expired"
