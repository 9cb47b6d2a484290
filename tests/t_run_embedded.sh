# hps run: embedded coordinator + local workers, leaderboard at the end; running it
# again on the same DB resumes (the finished study is not re-run).
. "$(dirname "$0")/lib.sh"
DB=$TMP/r.db
write_study "$TMP/s.yaml" emb 40 "sampler: {type: random, seed: 9}"
"$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" >"$TMP/out.txt" 2>"$TMP/err.txt" || { cat "$TMP/err.txt"; fail "run"; }
grep -q emb "$TMP/out.txt" || fail "no leaderboard row: $(cat "$TMP/out.txt")"
[ "$(count_state COMPLETE)" = 40 ] || fail "COMPLETE != 40"
"$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" --json >"$TMP/out2.json" 2>/dev/null || fail "resume"
[ "$(sql "SELECT COUNT(*) FROM trials")" = 40 ] || fail "resume created trials"
python3 -c "import json,sys; st=json.load(open('$TMP/out2.json')); assert st['studies'][0]['best']['value'] >= 0" \
    || fail "json output"
# an override changes the study: same name, other search space -> refused, exit 2, DB untouched
sum=$(sha256sum "$DB" | cut -d' ' -f1)
set +e
"$HPS" run "$TMP/s.yaml" space.x.high=6 -j 1 --db "$DB" 2>"$TMP/err3.txt"; rc=$?
set -e
[ $rc = 2 ] || fail "changed config: exit $rc"
grep -q "different config" "$TMP/err3.txt" || fail "message: $(cat "$TMP/err3.txt")"
[ "$(sha256sum "$DB" | cut -d' ' -f1)" = "$sum" ] || fail "DB changed"
echo "ok: run, resume, conflicting config refused"
# trial_timeout: the worker kills a trial that runs longer; it is recorded FAIL with the
# reason, and the study still ends.
DB=$TMP/to.db
cat >"$TMP/to.yaml" <<'Y'
study: timeout
n_trials: 3
trial_timeout: 0.5
objective: {type: synthetic, function: sphere, sleep_ms: 5000}
space:
  x: {type: float, low: -1, high: 1}
sampler: {type: random, seed: 1}
Y
# every trial timed out, so the run fails (exit 1) naming the last error
rc=0; "$HPS" run "$TMP/to.yaml" -j 2 --db "$DB" -q >/dev/null 2>"$TMP/to.err" || rc=$?
[ "$rc" = 1 ] && grep -q "the last error: trial timed out after 0.5 s" "$TMP/to.err" \
    || fail "timeout study: exit $rc: $(cat "$TMP/to.err")"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE state = 'FAIL' AND error = 'trial timed out after 0.5 s' AND secs < 3")" = 3 ] \
    || fail "timeouts: $(sql "SELECT state, error, secs FROM trials")"
echo "ok: trial_timeout kills and records FAIL"

# `hps run` serves the study it names, not the other unfinished studies of the file: the
# slow study interrupted here stays as it was while a quick one runs beside it.
DB=$TMP/two.db
write_study "$TMP/slow.yaml" slow 50 "sampler: {type: random, seed: 2}"
sed -i 's/function: sphere/function: sphere, sleep_ms: 400/' "$TMP/slow.yaml"
write_study "$TMP/quick.yaml" quick 20
"$HPS" run "$TMP/slow.yaml" -j 2 --db "$DB" -q >/dev/null 2>&1 &
P=$!
PIDS+=("$P")
wait_sql 30 "SELECT COUNT(*) >= 2 FROM trials WHERE state = 'COMPLETE'" 1
kill -INT "$P"
wait "$P" || [ $? = 130 ] || fail "slow run did not stop with 130"
slow_before=$(sql "SELECT COUNT(*), MAX(number) FROM trials t JOIN studies s ON s.id = t.study_id
                   WHERE s.name = 'slow'")
"$HPS" run "$TMP/quick.yaml" -j 2 --db "$DB" -q >/dev/null || fail "quick run"
[ "$(sql "SELECT COUNT(*), MAX(number) FROM trials t JOIN studies s ON s.id = t.study_id
          WHERE s.name = 'slow'")" = "$slow_before" ] || fail "hps run quick also ran study slow"
[ "$(sql "SELECT state FROM studies WHERE name = 'quick'")" = done ] || fail "quick not done"
echo "ok: hps run serves only the study it names"

# A done study: a note and its results again, exit 0. A stopped one (as `hps stop` leaves
# it) is resumed: it runs its missing trials, numbering on.
"$HPS" run "$TMP/quick.yaml" -j 1 --db "$DB" >"$TMP/again.out" 2>"$TMP/again.err" \
    || fail "rerun of a done study: exit $?"
grep -q "study 'quick' is already done (20 of 20 trials ended); nothing to run" "$TMP/again.err" \
    || fail "done study: $(cat "$TMP/again.err")"
grep -q "quick" "$TMP/again.out" || fail "done study: no results"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE studies SET state='stopped' WHERE name='slow'\"); c.commit()" "$DB"
left=$(sql "SELECT 50 - COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id
            WHERE s.name = 'slow' AND t.state IN ('COMPLETE', 'PRUNED', 'FAIL')")
"$HPS" run "$TMP/slow.yaml" -j 8 --db "$DB" >/dev/null 2>"$TMP/stopped.err" \
    || fail "stopped study: exit $?: $(cat "$TMP/stopped.err")"
grep -q "resumed study 'slow': $left of 50 trials left to run" "$TMP/stopped.err" \
    || fail "stopped study: $(cat "$TMP/stopped.err")"
[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT number), MAX(number) FROM trials t JOIN studies s
          ON s.id = t.study_id WHERE s.name = 'slow' AND t.state = 'COMPLETE'")" = "50|50|49" ] \
    || fail "resumed slow: $(sql "SELECT number, state FROM trials")"
echo "ok: a done study says so, a stopped one resumes ($left trials)"

# Every trial failed: exit 1 and the last error, not a quiet board of nothing.
write_study "$TMP/fails.yaml" fails 3 "objective: {type: synthetic, function: sphere, fail_rate: 1}"
rc=0; "$HPS" run "$TMP/fails.yaml" -j 1 --db "$DB" -q >/dev/null 2>"$TMP/fails.err" || rc=$?
[ "$rc" = 1 ] && grep -q "no trial of 'fails' completed (3 failed); the last error: ." "$TMP/fails.err" \
    || fail "all failed: exit $rc: $(cat "$TMP/fails.err")"
echo "ok: a study whose every trial failed exits 1 with the last error"
