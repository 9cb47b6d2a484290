# hps run --multirun: 2 x 2 combinations (a config group and a plain key) make 4 studies
# named from the choices, with the matching configs, run by the same local workers and
# shown on one leaderboard; a bracketed list is one value; the same command again runs
# nothing new; --to submits the 4 studies to a running coordinator; bad syntax exits 2
# before anything is stored.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/conf/model"
cat >"$TMP/conf/t.yaml" <<'Y'
defaults:
  - model: sph
study: t
n_trials: 2
space:
  x: {type: float, low: -2, high: 2}
  y: {type: float, low: -2, high: 2}
  c: {type: categorical, choices: [p]}
sampler: {type: random}
Y
echo 'objective: {type: synthetic, function: sphere}' >"$TMP/conf/model/sph.yaml"
echo 'objective: {type: synthetic, function: rastrigin}' >"$TMP/conf/model/ras.yaml"
DB=$TMP/m.db
expect 0 "$HPS" run "$TMP/conf/t.yaml" --multirun model=sph,ras n_trials=3,5 'space.c.choices=[p,q]' -j 2 --db "$DB"
cp "$TMP/out" "$TMP/board.txt"
grep -qF -- "--multirun: 4 studies: t-sph-n_trials=3 t-sph-n_trials=5 t-ras-n_trials=3 t-ras-n_trials=5" "$TMP/err" ||
    fail "names: $(cat "$TMP/err")"
sql "SELECT name, json_extract(config, '$.objective.function'), json_extract(config, '$.n_trials'),
            json_array_length(config, '$.space.c.choices'),
            (SELECT count(*) FROM trials t WHERE t.study_id = s.id AND t.state = 'COMPLETE')
     FROM studies s ORDER BY name" >"$TMP/studies.txt"
cat >"$TMP/want.txt" <<'W'
t-ras-n_trials=3|rastrigin|3|2|3
t-ras-n_trials=5|rastrigin|5|2|5
t-sph-n_trials=3|sphere|3|2|3
t-sph-n_trials=5|sphere|5|2|5
W
diff "$TMP/want.txt" "$TMP/studies.txt" || fail "studies and their configs differ"
# one leaderboard with the 4 studies
for s in t-sph-n_trials=3 t-sph-n_trials=5 t-ras-n_trials=3 t-ras-n_trials=5; do
    grep -qF " $s " "$TMP/board.txt" || fail "leaderboard lacks $s: $(cat "$TMP/board.txt")"
done
[ "$(grep -c ' done ' "$TMP/board.txt")" = 4 ] || fail "leaderboard rows: $(cat "$TMP/board.txt")"
# the same local workers served every study (no restart per study)
[ "$(sql "SELECT count(DISTINCT worker) FROM trials")" -le 2 ] || fail "more than 2 workers"
# the same command again: every study finished, nothing new runs
expect 0 "$HPS" run "$TMP/conf/t.yaml" --multirun model=sph,ras n_trials=3,5 'space.c.choices=[p,q]' -j 2 --db "$DB"
[ "$(sql "SELECT count(*) FROM trials")" = 16 ] || fail "a rerun added trials"
[ "$(grep -c ' done ' "$TMP/out")" = 4 ] || fail "rerun leaderboard: $(cat "$TMP/out")"
# bad syntax and bad values: exit 2, nothing stored
DB=$TMP/bad.db
expect_err 2 "override 'model=sph,,ras': value 2 is empty" "$HPS" run "$TMP/conf/t.yaml" --multirun model=sph,,ras --db "$DB"
expect_err 2 "override 'n_trials=3,5' has several values: add --multirun" "$HPS" run "$TMP/conf/t.yaml" n_trials=3,5 --db "$DB"
expect_err 2 "override 'n_trials=3,3': value '3' is given twice" "$HPS" run "$TMP/conf/t.yaml" -m n_trials=3,3 --db "$DB"
expect_err 2 "unknown model 'rsa'" "$HPS" run "$TMP/conf/t.yaml" --multirun model=sph,rsa --db "$DB"
[ ! -e "$DB" ] || fail "a refused multirun created the study file"
# a study= of the user's is the base of the names; '@' and ':' of a swept value become _
expect 0 "$HPS" run "$TMP/conf/t.yaml" -m study=base n_trials=1,2 -j 1 --db "$TMP/names.db"
expect 0 "$HPS" run "$TMP/conf/t.yaml" -m study=base 'sampler={type: random},{type: tpe}' \
    n_trials=1 -j 1 --db "$TMP/names.db"
sqlite3 "$TMP/names.db" "SELECT name FROM studies ORDER BY name" | tr '\n' '|' >"$TMP/n2.txt"
[ "$(cat "$TMP/n2.txt")" = "base-n_trials=1|base-n_trials=2|base-sampler={type_ random}|base-sampler={type_ tpe}|" ] \
    || fail "names: $(cat "$TMP/n2.txt")"
# --to: the 4 studies submitted to a running coordinator, its workers run them
DB=$TMP/c.db
start_coord
start w1 "$HPS" worker --connect "$ep" --slots 2
expect 0 "$HPS" run "$TMP/conf/t.yaml" --multirun model=sph,ras n_trials=3,5 --to "$ep"
[ "$(grep -c "^created study 't-" "$TMP/out")" = 4 ] || fail "--to output: $(cat "$TMP/out")"
wait_for 20 "len(st['studies']) == 4 and all(s['state'] == 'done' for s in st['studies'])"
status_py "print(' '.join(sorted(s['study'] for s in st['studies'])))" >"$TMP/names.txt"
[ "$(cat "$TMP/names.txt")" = "t-ras-n_trials=3 t-ras-n_trials=5 t-sph-n_trials=3 t-sph-n_trials=5" ] ||
    fail "--to studies: $(cat "$TMP/names.txt")"
echo "ok: 4 studies named from their choices, one leaderboard, --to submits 4, bad syntax exit 2"
