# Results and names are bound to the worker that holds them (issue 12, items 3 and 4).
# A raw peer (tests/rawpeer) plays the attacker: (a) it TELLs and REPORTs for another
# worker's leased trial, without HELLO and under a name of its own: refused, nothing
# stored, the real result is the one kept; (b) it floods HELLOs under a live worker's
# name, also with that worker's routing id: no lease is released, no reply taken over;
# (c) under CURVE on 127.0.0.2, worker B's key can neither TELL for A's lease nor take
# A's name; (b2) a second process under a live worker's name gets in only once the
# first is killed. Restarts under the same name stay as they were (t_worker_restart,
# t_kill_coord, t_stale_tell).
. "$(dirname "$0")/lib.sh"
: "${RAWPEER:?RAWPEER must point at the tests/rawpeer binary (make check sets it)}"
DB=$TMP/lb.db
# The held trial stays RUNNING through the raw peer's exchanges: its program waits for
# the file $TMP/open (made once they are over), then prints 1.
printf 'while [ ! -e %s/open ]; do sleep 0.05; done\necho 1\n' "$TMP" >"$TMP/gate.sh"
slow="objective: {type: command, run: [/bin/sh, $TMP/gate.sh]}"
direction="direction: minimize"
gate=(--allow-command "/bin/sh $TMP/gate.sh")
# running_trial: the id of a RUNNING trial (waits for one)
running_trial() {
    wait_sql 30 "SELECT COUNT(*) > 0 FROM trials WHERE state = 'RUNNING'" 1
    sql "SELECT id FROM trials WHERE state = 'RUNNING' ORDER BY id LIMIT 1"
}
# bogus_tell ARGS...: a COMPLETE with value -1000 for $trial, after ARGS' messages
bogus_tell() {
    "$RAWPEER" --connect "$ep" --wait 1000 "$@" \
        TELL trial="$trial" attempt=1 state=s:COMPLETE value=-1000.5 secs=0.1
}
# the trial holds the real worker's result: attempt 1, one (non-stale) TELL, not -1000.5
real_result() {
    [ "$(sql "SELECT state, attempt, worker, value > -1000 FROM trials WHERE id = $trial")" \
        = "COMPLETE|1|$1|1" ] || fail "trial $trial: $(sql "SELECT * FROM trials WHERE id = $trial")"
    [ "$(sql "SELECT COUNT(*), SUM(value > -1000) FROM tells WHERE trial_id = $trial")" = "1|1" ] \
        || fail "tells of $trial: $(sql "SELECT * FROM tells WHERE trial_id = $trial")"
}

# ---- (a) plain loopback: TELL and REPORT from a connection that does not hold the lease
write_study "$TMP/a.yaml" bind 1 "$slow" "$direction" "sampler: {type: random, seed: 3}"
start_coord --lease-ms 60000
start real "$HPS" worker --connect "$ep" --name real "${gate[@]}"
"$HPS" submit "$TMP/a.yaml" --to "$ep" >/dev/null
trial=$(running_trial)
bogus_tell >"$TMP/nohello.out"
grep -q "^ACK" "$TMP/nohello.out" && fail "a TELL without HELLO was ACKed: $(cat "$TMP/nohello.out")"
hello="HELLO worker=mallory host=h pid=pid slots=1"
bogus_tell $hello -- >"$TMP/other.out"
[ "$(sed -n 1p "$TMP/other.out")" = WELCOME ] || fail "mallory: $(cat "$TMP/other.out")"
sed -n 2p "$TMP/other.out" | grep -q "^ERROR .*leased to another worker.* re=TELL trial=$trial attempt=1$" \
    || fail "another worker's TELL (refused, and named so that it is not sent again): $(cat "$TMP/other.out")"
"$RAWPEER" --connect "$ep" --wait 1000 $hello -- \
    REPORT trial="$trial" attempt=1 step=7 value=-1000.5 >"$TMP/report.out"
sed -n 2p "$TMP/report.out" | grep -q "^ERROR .*leased to another worker" \
    || fail "another worker's REPORT: $(cat "$TMP/report.out")"
[ "$(sql "SELECT COUNT(*) FROM intermediate WHERE step = 7")" = 0 ] || fail "REPORT stored"
[ "$(sql "SELECT state FROM trials WHERE id = $trial")" = RUNNING ] || fail "bogus TELL stored"
touch "$TMP/open"
wait_for 60 "st['studies'][0]['state'] == 'done'"
real_result real
grep -q "did not say HELLO: refused" "$TMP/coord.log" || fail "no-HELLO TELL not logged"
grep -q "worker mallory: TELL for trial $trial refused" "$TMP/coord.log" || fail "not logged"
echo "ok (a): TELL/REPORT from a non-holder refused; trial $trial kept the real result"

# ---- (b) a HELLO flood under the live worker's name (and with its routing id)
write_study "$TMP/b.yaml" flood 12 "objective: {type: synthetic, function: sphere, sleep_ms: 300}" \
    "sampler: {type: random, seed: 4}"
flood="HELLO worker=real host=h pid=pid slots=4"
start f1 "$RAWPEER" --connect "$ep" --count 40 --every 200 --wait 150 $flood
start f2 "$RAWPEER" --connect "$ep" --identity real --count 40 --every 200 --wait 150 $flood
"$HPS" submit "$TMP/b.yaml" --to "$ep" >/dev/null
wait_for 60 "all(s['state'] == 'done' for s in st['studies'])"
[ "$(sql "SELECT COUNT(*), MAX(attempt) FROM trials WHERE study_id = 2 AND state = 'COMPLETE'")" \
    = "12|1" ] || fail "flood: $(sql "SELECT number, state, attempt FROM trials WHERE study_id = 2")"
[ "$(sql "SELECT COUNT(*) FROM tells WHERE stale = 1")" = 0 ] || fail "stale results"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE worker <> 'real'")" = 0 ] || fail "trials elsewhere"
grep -q "^ERROR worker real: worker name is in use by a live worker" "$TMP/f1.log" \
    || fail "flood not refused: $(head -3 "$TMP/f1.log")"
! grep -q "^WELCOME" "$TMP/f1.log" "$TMP/f2.log" || fail "a flood HELLO was welcomed"
! grep -q "restarted" "$TMP/coord.log" || fail "a lease was released"
echo "ok (b): 12 trials, each attempt 1, through a HELLO flood under the worker's name"
# ---- (b2) a second process under the live worker's name waits; the first killed, it
# takes over at once (a new connection once the old one is closed) and the lease goes back
write_study "$TMP/d.yaml" takeover 2 "objective: {type: synthetic, function: sphere, sleep_ms: 4000}" \
    "sampler: {type: random, seed: 6}"
first=$(sql "SELECT pid FROM workers WHERE name = 'real'")
start second "$HPS" worker --connect "$ep" --name real
"$HPS" submit "$TMP/d.yaml" --to "$ep" >/dev/null
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE study_id = 3 AND state = 'RUNNING'" 1
sleep 1 # (a negative check: a second process is given time to try, and must not get in)
[ "$(sql "SELECT pid FROM workers WHERE name = 'real'")" = "$first" ] || fail "name taken over"
trial=$(sql "SELECT id FROM trials WHERE study_id = 3 AND state = 'RUNNING'")
kill -9 "$first"
wait "$first" 2>/dev/null || true
wait_for 60 "all(s['state'] == 'done' for s in st['studies'])"
[ "$(sql "SELECT attempt, state FROM trials WHERE id = $trial")" = "2|COMPLETE" ] \
    || fail "trial $trial: $(sql "SELECT attempt, state FROM trials WHERE id = $trial")"
grep -q "worker real restarted" "$TMP/coord.log" || fail "no release logged"
echo "ok (b2): a second process under the name waited, then took over from the killed one"
kill "$COORD"
wait "$COORD" 2>/dev/null || true

# ---- (c) CURVE: worker b's key cannot TELL for a's lease nor take a's name
DB=$TMP/cv.db
ep=tcp://127.0.0.2:$(free_port)
K=$TMP/keys
mkdir -p "$K" "$TMP/allow" "$TMP/submitters"
for n in coord a b admin; do "$HPS" keygen -o "$K" --name $n >/dev/null; done
cp "$K/a.key" "$K/b.key" "$K/admin.key" "$TMP/allow/"
cp "$K/admin.key" "$TMP/submitters/"
rm "$TMP/open"
start_coord coordc --lease-ms 60000 --cert "$K/coord.key_secret" --allow "$TMP/allow" \
    --submitters "$TMP/submitters"
start wa "$HPS" worker --connect "$ep" --name a --cert "$K/a.key_secret" --server-key "$K/coord.key" \
    "${gate[@]}"
write_study "$TMP/c.yaml" curvebind 1 "$slow" "$direction" "sampler: {type: random, seed: 5}"
"$HPS" submit "$TMP/c.yaml" --to "$ep" --cert "$K/admin.key_secret" --server-key "$K/coord.key" \
    >/dev/null
trial=$(running_trial)
bkey=(--cert "$K/b.key_secret" --server-key "$K/coord.key")
bogus_tell "${bkey[@]}" HELLO worker=b host=h pid=pid slots=1 -- >"$TMP/b.out"
[ "$(sed -n 1p "$TMP/b.out")" = WELCOME ] || fail "b: $(cat "$TMP/b.out")"
sed -n 2p "$TMP/b.out" | grep -q "^ERROR .*leased to another worker" \
    || fail "b's TELL for a's trial: $(cat "$TMP/b.out")"
bogus_tell "${bkey[@]}" HELLO worker=a host=h pid=pid slots=1 -- >"$TMP/ba.out"
grep -q "^ERROR worker a: worker name is bound to another key" "$TMP/ba.out" \
    || fail "b took a's name: $(cat "$TMP/ba.out")"
bogus_tell "${bkey[@]}" --identity a HELLO worker=a host=h pid=pid slots=1 -- >"$TMP/bid.out"
! grep -q "^WELCOME\|^ACK" "$TMP/bid.out" || fail "b with a's routing id: $(cat "$TMP/bid.out")"
touch "$TMP/open"
wait_for 60 "st['studies'][0]['state'] == 'done'"
real_result a
[ "$(sql "SELECT COUNT(*), MAX(attempt) FROM trials WHERE state = 'COMPLETE'")" = "1|1" ] \
    || fail "curve: $(sql "SELECT number, state, attempt FROM trials")"
echo "ok (c): under CURVE, b's key neither TELLs for a's lease nor takes a's name"
