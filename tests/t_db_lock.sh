# One coordinator per database: a second `hps run` (or `hps coordinator`) on a file that a
# running one holds is refused at once, exit 1, naming the holder, and changes nothing:
# the first run finishes every trial exactly once, with no result of its refused. A
# coordinator killed with -9 leaves no lock behind.
. "$(dirname "$0")/lib.sh"
DB=$TMP/l.db
write_study "$TMP/a.yaml" alpha 16 "sampler: {type: random, seed: 3}"
# alpha must outlive three refused starts, which take about a second each under
# SANITIZER=thread (250 ms trials ended it first there): 16 x 800 ms over 2 slots.
sed -i 's/function: sphere/function: sphere, sleep_ms: 800/' "$TMP/a.yaml"
write_study "$TMP/b.yaml" beta 4
"$HPS" run "$TMP/a.yaml" -j 2 --db "$DB" >"$TMP/a.out" 2>"$TMP/a.err" &
A=$!
PIDS+=("$A")
wait_sql 60 "SELECT COUNT(*) >= 2 FROM trials WHERE state = 'RUNNING'" 1
before=$(sql "SELECT id, state, attempt FROM trials ORDER BY id")
# the same study and another one: both refused while alpha runs
for cfg in a b; do
    rc=0
    "$HPS" run "$TMP/$cfg.yaml" -j 1 --db "$DB" >"$TMP/$cfg-2.out" 2>"$TMP/$cfg-2.err" || rc=$?
    [ "$rc" = 1 ] || fail "second run ($cfg) exit $rc: $(cat "$TMP/$cfg-2.err")"
    grep -q "l.db is in use by another coordinator (pid $A" "$TMP/$cfg-2.err" \
        || fail "second run ($cfg): $(cat "$TMP/$cfg-2.err")"
done
# the same file by another name: a symlink and a hard link are the same database
ln -s "$DB" "$TMP/sym.db" && ln "$DB" "$TMP/hard.db"
for name in sym hard; do
    rc=0
    "$HPS" run "$TMP/a.yaml" -j 1 --db "$TMP/$name.db" >/dev/null 2>"$TMP/$name.err" || rc=$?
    [ "$rc" = 1 ] && grep -q "$name.db is in use by another coordinator that opened it by another" \
        "$TMP/$name.err" || fail "run through $name.db: exit $rc: $(cat "$TMP/$name.err")"
done
rc=0
timeout 10 "$HPS" coordinator --bind "tcp://127.0.0.1:$(free_port)" --db "$DB" \
    2>"$TMP/c.err" || rc=$?
[ "$rc" = 1 ] && grep -q "in use by another coordinator" "$TMP/c.err" \
    || fail "coordinator exit $rc: $(cat "$TMP/c.err")"
# nothing the refused runs did is visible: no study beta, alpha's rows only moved forward
[ "$(sql "SELECT COUNT(*) FROM studies WHERE name = 'beta'")" = 0 ] || fail "beta was stored"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE attempt > 1")" = 0 ] || fail "a trial was re-queued"
wait "$A" || fail "first run: exit $?: $(cat "$TMP/a.err")"
[ "$(sql "SELECT state, attempt, COUNT(*) FROM trials GROUP BY 1, 2")" = "COMPLETE|1|16" ] \
    || fail "first run: $(sql "SELECT number, state, attempt FROM trials")"
! grep -q "not running\|UNIQUE" "$TMP/a.err" || fail "first run saw interference: $(cat "$TMP/a.err")"
[ -n "$before" ] || fail "no trials before"
# kill -9 leaves no lock: the next coordinator starts
start coord "$HPS" coordinator --bind "tcp://127.0.0.1:$(free_port)" --db "$DB"
C=$LAST_PID
deadline=$(( $(date +%s) + 10 ))
until grep -q "coordinator on" "$TMP/coord.log"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "coordinator did not start: $(cat "$TMP/coord.log")"
    sleep 0.05
done
kill -9 "$C"
wait "$C" 2>/dev/null || true
"$HPS" run "$TMP/b.yaml" -j 1 --db "$DB" >/dev/null 2>"$TMP/b-3.err" \
    || fail "run after kill -9: $(cat "$TMP/b-3.err")"
echo "ok: second coordinator refused (run x2, by links x2, coordinator), first run intact; kill -9 leaves no lock"
