# Bad links. (1) Three workers reach the coordinator through tests/lossy_proxy.py, which
# delays every chunk, stalls all forwarding now and then and cuts connections at random:
# every trial ends COMPLETE exactly once. (2) A partition: a CURVE worker in its own
# network namespace loses its veth link for PARTITION_SECS (default 8; scripts/faults.sh
# runs 30) while it runs trials; after the heal every trial is still COMPLETE exactly
# once, and the worker is heard again within one heartbeat interval (measured from the
# link coming up to the worker's next message, as workers.last_seen records it).
# Part (2) needs root and `ip netns`; without them it is skipped.
. "$(dirname "$0")/lib.sh"
PROXY_TRIALS=${PROXY_TRIALS:-120}
PART_TRIALS=${PART_TRIALS:-60}
PARTITION_SECS=${PARTITION_SECS:-8}
HB_MS=1000
# exactly_once N: the study in $DB has N trials, numbers 0..N-1, each COMPLETE once, and
# no trial has two accepted (non-stale) COMPLETE tells.
exactly_once() {
    local n=$1
    [ "$(sql "SELECT COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number) FROM trials
              WHERE state = 'COMPLETE'")" = "$n|$n|0|$((n - 1))" ] ||
        fail "COMPLETE trials: $(sql "SELECT state, COUNT(*) FROM trials GROUP BY state")"
    [ "$(sql "SELECT COUNT(*) FROM trials")" = "$n" ] || fail "extra trials"
    [ "$(sql "SELECT COUNT(*) FROM (SELECT trial_id FROM tells WHERE state = 'COMPLETE'
              AND stale = 0 GROUP BY trial_id HAVING COUNT(*) > 1)")" = 0 ] ||
        fail "a trial has two accepted COMPLETE tells"
}

# ---- (1) a lossy proxy ---------------------------------------------------------------
DB=$TMP/proxy.db
start_coord --heartbeat-ms $HB_MS --lease-ms 3000
cport=${ep##*:}
pport=$(free_port)
start proxy python3 "$(dirname "$0")/lossy_proxy.py" --listen "127.0.0.1:$pport" \
    --target "127.0.0.1:$cport" --delay-ms 20 --stall-rate 0.5 --stall-ms 400 \
    --drop-rate 0.2 --seed 7
proxy=$LAST_PID
deadline=$(( $(date +%s) + 10 ))
until grep -q ready "$TMP/proxy.log"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "proxy did not start: $(cat "$TMP/proxy.log")"
    sleep 0.05
done
write_study "$TMP/p.yaml" lossy "$PROXY_TRIALS" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 50}" "sampler: {type: random, seed: 4}"
for w in 1 2 3; do start "pw$w" "$HPS" worker --connect "tcp://127.0.0.1:$pport" --name "pw$w"; done
"$HPS" submit "$TMP/p.yaml" --to "$ep" >/dev/null
t0=$(date +%s.%N)
wait_for 120 "st['studies'][0]['state'] == 'done'"
secs=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
exactly_once "$PROXY_TRIALS"
kill "$proxy"
wait "$proxy" 2>/dev/null || true
stats=$(grep "^connections=" "$TMP/proxy.log") || fail "no proxy stats: $(cat "$TMP/proxy.log")"
stale=$(sql "SELECT COUNT(*) FROM tells WHERE stale = 1")
attempts=$(sql "SELECT COUNT(*) FROM trials WHERE attempt > 1")
case $stats in *drops=0*) fail "the proxy never cut a connection: $stats" ;; esac
echo "ok: lossy proxy: $PROXY_TRIALS trials COMPLETE exactly once in $secs s;" \
    "$stats; $attempts re-run, $stale stale tells"
kill "$COORD"
wait "$COORD" 2>/dev/null || true

# ---- (2) a partition between namespaces ----------------------------------------------
if ! ns_setup F; then
    echo "ok: partition skipped (needs root and ip netns)"
    exit 0
fi
DB=$TMP/part.db
ns_curve_cluster far --heartbeat-ms $HB_MS --lease-ms 3000
write_study "$TMP/n.yaml" part "$PART_TRIALS" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 100}" "sampler: {type: random, seed: 5}"
"$HPS" submit "$TMP/n.yaml" --to "$ep" "${KW[@]}" >/dev/null
wait_sql 30 "SELECT COUNT(*) >= 5 FROM trials WHERE state = 'COMPLETE'" 1
ip link set "$VA" down
sleep "$PARTITION_SECS" # the fault itself lasts this long: not a synchronisation
[ "$(sql "SELECT state FROM studies")" = running ] || fail "study ended during the partition"
up=$(ns_heal)
# The worker's next message after the heal, as the coordinator records it.
back=$(heard_after far "$up" 60)
wait_for 120 "st['studies'][0]['state'] == 'done'"
exactly_once "$PART_TRIALS"
stale=$(sql "SELECT COUNT(*) FROM tells WHERE stale = 1")
attempts=$(sql "SELECT COUNT(*) FROM trials WHERE attempt > 1")
echo "ok: ${PARTITION_SECS} s partition: $PART_TRIALS trials COMPLETE exactly once;" \
    "worker heard ${back} s after the heal (heartbeat ${HB_MS} ms); $attempts re-run, $stale stale tells"
python3 -c "import sys; sys.exit(0 if $back * 1000 <= $HB_MS else 1)" ||
    fail "worker back ${back} s after the heal, more than one heartbeat (${HB_MS} ms)"
