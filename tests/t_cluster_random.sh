# 3 workers x 200 random trials over TCP loopback: exactly 200 COMPLETE, numbers 0..199
# each once, every TELL recorded once.
. "$(dirname "$0")/lib.sh"
DB=$TMP/c.db
# 20 ms a trial: the study lasts over a second, so every worker (asking every 200 ms
# while idle) gets a share
write_study "$TMP/s.yaml" rand200 200 "sampler: {type: random, seed: 1}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 20}"
start_coord --lease-ms 3000
expect_err 2 "--link-timeout-ms: at least 300" \
    "$HPS" worker --connect "$ep" --link-timeout-ms 100
# one worker with a longer link timeout (slow links) works as the others
link=([1]="" [2]="--link-timeout-ms 6000" [3]="")
for i in 1 2 3; do
    # shellcheck disable=SC2086
    start w$i "$HPS" worker --connect "$ep" --slots 1 --name w$i ${link[$i]}
done
# all three have joined (their HELLO is in the workers table) before there is work
wait_for 60 "len(st['workers']) == 3"
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
wait_for 120 "st['studies'][0]['state'] == 'done'"
[ "$(count_state COMPLETE)" = 200 ] || fail "COMPLETE != 200"
[ "$(sql "SELECT COUNT(DISTINCT number), MIN(number), MAX(number), COUNT(*) FROM trials")" = "200|0|199|200" ] \
    || fail "trial numbers: $(sql "SELECT COUNT(DISTINCT number), MIN(number), MAX(number), COUNT(*) FROM trials")"
[ "$(sql "SELECT COUNT(*) FROM tells WHERE stale = 0")" = 200 ] || fail "tells"
# every worker did some of the work
for i in 1 2 3; do
    n=$(sql "SELECT COUNT(*) FROM trials WHERE worker = 'w$i'")
    [ "$n" -gt 0 ] || fail "worker w$i ran nothing: $(sql "SELECT worker, COUNT(*) FROM trials GROUP BY worker")"
done
# live status over the socket, as JSON and as text
"$HPS" status --to "$ep" --json | python3 -c "import json,sys; st=json.load(sys.stdin); assert st['studies'][0]['trials']['COMPLETE'] == 200" \
    || fail "status --to --json"
"$HPS" status --to "$ep" | grep -q rand200 || fail "status --to (text)"
# stop: a running study takes no new trials (in-flight ones may still finish)
write_study "$TMP/stop.yaml" stopme 1000 "sampler: {type: random, seed: 2}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 50}"
"$HPS" submit "$TMP/stop.yaml" --to "$ep" >/dev/null
wait_for 30 "[s for s in st['studies'] if s['study'] == 'stopme'][0]['trials']['COMPLETE'] >= 3"
[ "$("$HPS" stop stopme --to "$ep")" = "stopped stopme" ] || fail "stop"
at_stop=$(sql "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = 'stopme'")
wait_sql 10 "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = 'stopme' AND t.state = 'RUNNING'" 0
after=$(sql "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = 'stopme'")
[ "$after" = "$at_stop" ] || fail "stopped study grew from $at_stop to $after trials"
[ "$(sql "SELECT state FROM studies WHERE name = 'stopme'")" = stopped ] || fail "state"
echo "ok: 200 complete across 3 workers; status --to; stop"
