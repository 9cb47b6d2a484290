# kill -9 the coordinator twice during two concurrent studies (random and grid) and
# restart it on the same DB: the random study finishes with exactly n_trials COMPLETE,
# each number once, no duplicate completions; the grid hands out every point once.
. "$(dirname "$0")/lib.sh"
DB=$TMP/kc.db
write_study "$TMP/s.yaml" killc 60 "sampler: {type: random, seed: 5}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 60}"
coord() { start_coord --lease-ms 2000; }
coord
for i in 1 2 3; do start w$i "$HPS" worker --connect "$ep" --name k$i; done
cat >"$TMP/g.yaml" <<'Y'
study: killg
n_trials: 100
objective: {type: synthetic, function: sphere, sleep_ms: 60}
space:
  a: {type: int, low: 0, high: 5}
  b: {type: categorical, choices: [u, v, w, z]}
sampler: {type: grid}
Y
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
"$HPS" submit "$TMP/g.yaml" --to "$ep" >/dev/null
for target in 15 35; do
    wait_for 60 "sum(s['trials']['COMPLETE'] for s in st['studies']) >= $target"
    kill -9 "$COORD"
    wait "$COORD" 2>/dev/null || true
    sleep 0.3
    coord
done
wait_for 120 "all(s['state'] == 'done' for s in st['studies'])"
[ "$(count_state COMPLETE)" = 84 ] || fail "COMPLETE != 60 + 24"
[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT number), MAX(number) FROM trials WHERE study_id = 1")" = "60|60|59" ] \
    || fail "numbers: $(sql "SELECT COUNT(*), COUNT(DISTINCT number), MAX(number) FROM trials WHERE study_id = 1")"
[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT hex(x)) FROM trials WHERE study_id = 2")" = "24|24" ] \
    || fail "grid: $(sql "SELECT COUNT(*), COUNT(DISTINCT hex(x)) FROM trials WHERE study_id = 2")"
[ "$(sql "SELECT COUNT(*) FROM (SELECT trial_id FROM tells WHERE stale = 0 GROUP BY trial_id HAVING COUNT(*) > 1)")" = 0 ] \
    || fail "a trial was completed twice"
echo "ok: 60 random + 24 grid points complete across two coordinator crashes"
