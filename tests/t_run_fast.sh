# hps run starts and stops without fixed waits, and submitted work reaches idle workers
# at once (docs/command-protocol.md, "Start and stop of hps run"). No time is asserted
# (the machine may be loaded): the checks read what happened.
. "$(dirname "$0")/lib.sh"
write_study "$TMP/s.yaml" fast 1 "sampler: {type: random, seed: 3}"
# One trial, three workers: two of them hold a WAIT when the trial ends. The study is
# over with that TELL, and the coordinator says BYE to every worker in that batch, the
# two waiting ones included, instead of to each on its next ASK. Both idle workers can
# also ask in the very batch of the TELL (a loaded machine starts them late), and are
# then told BYE on that ASK: correct, but not the path under test, so up to 4 runs are
# made until one shows it. Without the batch-end BYE no run would.
for run in 1 2 3 4; do
    DB=$TMP/f$run.db
    "$HPS" run "$TMP/s.yaml" -j 3 --db "$DB" -v -v >"$TMP/out.txt" 2>"$TMP/err.txt" \
        || { cat "$TMP/err.txt"; fail "run"; }
    grep -q "fast" "$TMP/out.txt" || fail "no leaderboard: $(cat "$TMP/out.txt")"
    [ "$(grep -c 'coord: worker local-.* joined' "$TMP/err.txt")" = 3 ] \
        || fail "not 3 workers joined: $(grep joined "$TMP/err.txt")"
    [ "$(grep -c 'BYE to worker local-' "$TMP/err.txt")" = 3 ] \
        || fail "not 3 BYEs: $(grep 'BYE' "$TMP/err.txt")"
    grep -q 'BYE to worker local-.* (all done)' "$TMP/err.txt" && break
    echo "run $run: every worker asked in the batch of the last TELL; again"
    [ $run -lt 4 ] || fail "no BYE sent at once when all was done: $(grep 'BYE' "$TMP/err.txt")"
done
# the private socket (made before the workers started) is gone with its folder
sock=$(sed -n 's|.*coordinator on ipc://\(/tmp/hps-run-[A-Za-z0-9]*\)/coord.ipc.*|\1|p' \
    "$TMP/err.txt" | head -1)
[ -n "$sock" ] && [ ! -e "$sock" ] || fail "socket folder '$sock' left behind"
echo "ok: BYE to every worker once all is done; socket folder removed"

# A worker started before its coordinator, on an ipc endpoint (a local one: it tries
# again within milliseconds, then less often), joins once the coordinator binds. With
# nothing to do it holds a WAIT of a heartbeat (5 s here); a submitted study ends it at
# once (WAIT 0), instead of at the WAIT's end.
DB=$TMP/w.db
ep=ipc://$TMP/c.ipc
start worker "$HPS" worker --connect "$ep" --name early --cache "$TMP/cache" -v
start_coord --heartbeat-ms 5000 -v -v
deadline=$(($(date +%s) + 20))
until grep -q "welcomed by coordinator" "$TMP/worker.log"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "worker never joined: $(cat "$TMP/worker.log")"
    sleep 0.05
done
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null || fail "submit"
wait_sql 20 "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'" 1
grep -q "trials added: worker early asked to ask now" "$TMP/coord.log" \
    || fail "the idle worker was not woken: $(cat "$TMP/coord.log")"
echo "ok: a local worker started first joins its coordinator, and is woken by a submit"
