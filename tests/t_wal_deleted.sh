# The study file's -wal deleted under a running coordinator: the next commit notices
# (the WAL is no longer the file it opened), the coordinator stops with exit 1 and a
# clear message instead of acknowledging results it cannot keep, and a restart finds
# every result it acknowledged (no trial re-run as attempt 2).
. "$(dirname "$0")/lib.sh"
DB=$TMP/w.db
write_study "$TMP/s.yaml" wal 400 "sampler: {type: random, seed: 3}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 20}"
start_coord --lease-ms 2000
start w1 "$HPS" worker --connect "$ep" --name w1 --slots 2
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
wait_for 60 "sum(s['trials']['COMPLETE'] for s in st['studies']) >= 10"
[ -f "$DB-wal" ] || fail "no WAL file while the coordinator runs"
rm "$DB-wal"
wait_exit 20 "$COORD" "the coordinator (without its WAL)"
rc=$WAIT_RC
[ "$rc" = 1 ] || fail "coordinator exit $rc, not 1: $(tail -5 "$TMP/coord.log")"
grep -qF "w.db-wal: No such file or directory: the study file's write-ahead log was removed" \
    "$TMP/coord.log" || fail "message: $(tail -5 "$TMP/coord.log")"
# Closing the file checkpointed the deleted WAL's commits into it: every result stored
# is there, and only the trials leased when it stopped run again.
done_before=$(sql "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'")
[ "$done_before" -ge 10 ] || fail "results lost: $done_before COMPLETE"
leased=$(sql "SELECT number FROM trials WHERE state = 'RUNNING' ORDER BY number")
start_coord coord2 --lease-ms 2000
wait_for 120 "all(s['state'] == 'done' for s in st['studies'])"
rerun=$(sql "SELECT number FROM trials WHERE attempt > 1 ORDER BY number")
[ -z "$(comm -23 <(echo "$rerun") <(echo "$leased"))" ] \
    || fail "re-run although not leased at the stop: $rerun (leased: $leased)"
[ "$(count_state COMPLETE)" = 400 ] || fail "COMPLETE $(count_state COMPLETE)"
echo "ok: WAL deleted -> coordinator exit 1 with a message after $done_before results; none lost"
