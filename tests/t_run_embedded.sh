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
# an override changes the study: same name, other config -> refused, exit 2, DB untouched
sum=$(sha256sum "$DB" | cut -d' ' -f1)
set +e
"$HPS" run "$TMP/s.yaml" n_trials=50 -j 1 --db "$DB" 2>"$TMP/err3.txt"; rc=$?
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
"$HPS" run "$TMP/to.yaml" -j 2 --db "$DB" -q >/dev/null 2>&1 || fail "timeout study"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE state = 'FAIL' AND error = 'trial timed out after 0.5 s' AND secs < 3")" = 3 ] \
    || fail "timeouts: $(sql "SELECT state, error, secs FROM trials")"
echo "ok: trial_timeout kills and records FAIL"
