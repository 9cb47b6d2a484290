# deterministic TPE with 4 workers and random objective delays: three runs give the
# same trial sequence (parameters and values) and the same best value.
. "$(dirname "$0")/lib.sh"
cat >"$TMP/jitter.py" <<'P'
import json, math, random, sys, time
p = json.load(sys.stdin)
time.sleep(random.SystemRandom().uniform(0, 0.06))   # timing noise, not seeded
x, y = p["x"], p["y"]
print((y - 5.1 / (4 * math.pi ** 2) * x * x + 5 / math.pi * x - 6) ** 2
      + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)
P
cat >"$TMP/s.yaml" <<Y
study: det
direction: minimize
n_trials: 40
objective: {type: command, run: [python3, $TMP/jitter.py], timeout: 30}
space:
  x: {type: float, low: -5, high: 10}
  y: {type: float, low: 0, high: 15}
sampler: {type: tpe, seed: 11, deterministic: true, parallelism: 4, n_startup_trials: 8}
Y
for r in 1 2 3; do
    DB=$TMP/r$r.db
    "$HPS" run "$TMP/s.yaml" -j 4 --db "$DB" -q >/dev/null
    sql "SELECT number, hex(x), printf('%.12g', value) FROM trials ORDER BY number" >"$TMP/seq$r.txt"
    [ "$(wc -l <"$TMP/seq$r.txt")" = 40 ] || fail "run $r: $(wc -l <"$TMP/seq$r.txt") trials"
done
cmp "$TMP/seq1.txt" "$TMP/seq2.txt" || fail "runs 1 and 2 differ"
cmp "$TMP/seq1.txt" "$TMP/seq3.txt" || fail "runs 1 and 3 differ"
# the runs really were timed differently: the finish order is not the trial order
for r in 1 2 3; do DB=$TMP/r$r.db; sql "SELECT number FROM trials ORDER BY finished" | tr '\n' ' '; echo; done >"$TMP/order.txt"
[ "$(sort -u "$TMP/order.txt" | wc -l)" -gt 1 ] || echo "note: all three runs finished in the same order"
echo "ok: 3 runs x 40 trials identical"
