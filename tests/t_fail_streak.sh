# max_consecutive_failures: a study whose trials all fail (a program that cannot start,
# a path the workers lack) is stopped after N in a row instead of burning its budget;
# the run says why and exits 1; running it again gives it one more failure before it
# stops again. Without the key every trial runs (and fails). A bad value exits 2.
. "$(dirname "$0")/lib.sh"
DB=$TMP/f.db
fails() { sql "SELECT count(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = '$1' AND t.state = 'FAIL'"; }
state() { sql "SELECT state FROM studies WHERE name = '$1'"; }
write_study "$TMP/s.yaml" burn 60 "sampler: {type: random, seed: 1}" \
    "max_consecutive_failures: 4" "objective: {type: synthetic, function: sphere, fail_rate: 1.0}"
expect 1 "$HPS" run "$TMP/s.yaml" -j 2 --db "$DB"
grep -q "4 trials in a row failed (max_consecutive_failures 4): stopped" "$TMP/err" ||
    fail "no reason: $(cat "$TMP/err")"
grep -q "no trial of 'burn' completed" "$TMP/err" || fail "no all-failed message"
[ "$(state burn)" = stopped ] || fail "state $(state burn)"
n=$(fails burn)
# 4 in a row, plus what was already running or fetched when the 4th came back
[ "$n" -ge 4 ] && [ "$n" -le 12 ] || fail "$n failed trials"
expect 1 "$HPS" run "$TMP/s.yaml" -j 2 --db "$DB"
m=$(fails burn)
[ "$m" -gt "$n" ] && [ "$m" -le $((n + 8)) ] && [ "$(state burn)" = stopped ] ||
    fail "run again: $n -> $m failed, $(state burn)"
# the limit may be changed on a stored study (raised here: it runs 10 more in a row)
sed -i 's/^max_consecutive_failures: 4/max_consecutive_failures: 10/' "$TMP/s.yaml"
grep -q "^max_consecutive_failures: 10" "$TMP/s.yaml" || fail "the limit was not raised in the config"
expect 1 "$HPS" run "$TMP/s.yaml" -j 2 --db "$DB"
k=$(fails burn)
[ "$k" -ge $((m + 1)) ] && [ "$(state burn)" = stopped ] || fail "limit raised: $m -> $k failed"
# the control: the same study without the key runs all 60 trials
write_study "$TMP/c.yaml" all 60 "sampler: {type: random, seed: 1}" \
    "objective: {type: synthetic, function: sphere, fail_rate: 1.0}"
expect 1 "$HPS" run "$TMP/c.yaml" -j 2 --db "$DB"
[ "$(fails all)" = 60 ] && [ "$(state all)" = done ] || fail "control: $(fails all), $(state all)"
write_study "$TMP/b.yaml" bad 5 "max_consecutive_failures: -1"
expect_err 2 "b.yaml:7:27: max_consecutive_failures: must be >= 0" "$HPS" run "$TMP/b.yaml" --db "$DB"
# odd values tried in a red-team pass: each a located error, exit 2
for v in '"x"' 1e30 99999999999999999999 2.5 '[1]'; do
    write_study "$TMP/o.yaml" odd 5 "max_consecutive_failures: $v"
    expect_err 2 "o.yaml:7:27: max_consecutive_failures: expected an integer" "$HPS" run "$TMP/o.yaml" --db "$DB"
done
echo "ok: stopped after $n failed trials (4 in a row), $m after running it again"
