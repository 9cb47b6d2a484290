# The median pruner on a synthetic learning curve (10 reported steps per trial): bad
# trials are pruned, good ones run to the end.
. "$(dirname "$0")/lib.sh"
DB=$TMP/p.db
cat >"$TMP/s.yaml" <<'Y'
study: prune
n_trials: 40
objective: {type: synthetic, function: sphere, steps: 10}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
sampler: {type: random, seed: 4}
pruner: {type: median, n_startup_trials: 5}
Y
"$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" -q >/dev/null
pruned=$(count_state PRUNED); complete=$(count_state COMPLETE)
[ "$pruned" -ge 5 ] || fail "only $pruned pruned"
[ $((pruned + complete)) = 40 ] || fail "states: $pruned pruned, $complete complete"
# Rank trials by their first reported value (the curve keeps the order of the final
# values): the best five must all have completed, the worst quarter been pruned
# (except those leased before five trials had completed: nothing is pruned until the
# startup trials are done, and with two slots and prefetch that can be trial 6 or 8,
# depending on timing; the 4th column counts the trials completed at the lease).
sql "SELECT t.number, t.state, i.value,
            (SELECT COUNT(*) FROM trials c WHERE c.state = 'COMPLETE' AND c.finished <= t.started)
     FROM trials t JOIN intermediate i ON i.trial_id = t.id
     WHERE i.step = 1 ORDER BY i.value" >"$TMP/rank.txt"
head -5 "$TMP/rank.txt" | awk -F'|' '$2 != "COMPLETE" {bad=1} END {exit bad}' || fail "a good trial was pruned: $(head -5 "$TMP/rank.txt")"
tail -10 "$TMP/rank.txt" | awk -F'|' '$4 >= 5 && $2 != "PRUNED" {bad=1} END {exit bad}' || fail "a bad trial completed: $(tail -10 "$TMP/rank.txt")"
[ "$(tail -10 "$TMP/rank.txt" | awk -F'|' '$4 >= 5' | wc -l)" -ge 5 ] || fail "too few bad trials judged: $(tail -10 "$TMP/rank.txt")"
echo "ok: $pruned pruned, $complete complete; best five complete, worst quarter pruned"
