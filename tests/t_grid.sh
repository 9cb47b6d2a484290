# A 5x5x4 grid with 4 workers: every point exactly once, then the study stops by itself.
. "$(dirname "$0")/lib.sh"
DB=$TMP/g.db
cat >"$TMP/g.yaml" <<'Y'
study: grid100
n_trials: 1000
objective: {type: synthetic, function: sphere}
space:
  a: {type: int, low: 0, high: 4}
  b: {type: float, low: 0, high: 1, step: 0.25}
  c: {type: categorical, choices: [p, q, r, s]}
sampler: {type: grid}
Y
start_coord
for i in 1 2 3 4; do start w$i "$HPS" worker --connect "$ep" --name g$i; done
"$HPS" submit "$TMP/g.yaml" --to "$ep" >/dev/null
wait_for 120 "st['studies'][0]['state'] == 'done'"
[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT hex(x)) FROM trials WHERE state = 'COMPLETE'")" = "100|100" ] \
    || fail "grid: $(sql "SELECT COUNT(*), COUNT(DISTINCT hex(x)) FROM trials")"
[ "$(sql "SELECT COUNT(*) FROM trials")" = 100 ] || fail "extra trials"
echo "ok: 100 distinct grid points"
