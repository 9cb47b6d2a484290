# The default sampler is for new configs only. A new study whose config names no
# sampler type is stored with `type: auto` (and runs); a study stored by an earlier hps
# (its config without sampler.type: the random sampler, the old default) resumed from
# a config file without `sampler:` keeps no type and proposes exactly what the random
# sampler with its stored seed proposes; a resubmitted new study keeps auto. The same
# through hps submit and the coordinator.
. "$(dirname "$0")/lib.sh"
DB=$TMP/a.db
write_study "$TMP/new.yaml" fresh 12
"$HPS" run "$TMP/new.yaml" -j 2 --db "$DB" -q >/dev/null 2>"$TMP/new.err" \
    || fail "new study: $(cat "$TMP/new.err")"
[ "$(sql "SELECT json_extract(config, '$.sampler.type') FROM studies WHERE name = 'fresh'")" \
    = auto ] || fail "new study's config: $(sql "SELECT config FROM studies")"
[ "$(count_state COMPLETE)" = 12 ] || fail "new study did not finish"
# resubmitted with more trials: still auto, same seed
seed=$(sql "SELECT json_extract(config, '$.sampler.seed') FROM studies WHERE name = 'fresh'")
write_study "$TMP/new.yaml" fresh 14
"$HPS" run "$TMP/new.yaml" -j 2 --db "$DB" -q >/dev/null 2>"$TMP/new.err" \
    || fail "resubmitted study: $(cat "$TMP/new.err")"
[ "$(sql "SELECT json_extract(config, '$.sampler.type') || ' ' ||
          json_extract(config, '$.sampler.seed') FROM studies WHERE name = 'fresh'")" \
    = "auto $seed" ] || fail "resubmitted config: $(sql "SELECT config FROM studies")"

# An old study: 3 trials by the random sampler, stored without a type (as before auto).
write_study "$TMP/old.yaml" old 3 "sampler: {type: random, seed: 7}"
"$HPS" run "$TMP/old.yaml" -j 1 --db "$DB" -q >/dev/null || fail "old study"
sql "SELECT 1" >/dev/null
python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE studies SET config = json_remove(config, '$.sampler.type') WHERE name = 'old'")
c.commit()
PY
write_study "$TMP/old.yaml" old 8
"$HPS" run "$TMP/old.yaml" -j 2 --db "$DB" -q >/dev/null 2>"$TMP/old.err" \
    || fail "old study not resumed: $(cat "$TMP/old.err")"
[ "$(sql "SELECT json_extract(config, '$.sampler') FROM studies WHERE name = 'old'")" \
    = '{"seed":7}' ] || fail "old study's config changed: $(sql "SELECT config FROM studies")"
# the same numbers from an explicit random sampler with seed 7 (in another file)
got=$(sql "SELECT t.number, hex(t.x) FROM trials t JOIN studies s ON s.id = t.study_id
           WHERE s.name = 'old' ORDER BY t.number")
DB=$TMP/ref.db
write_study "$TMP/ref.yaml" old 8 "sampler: {type: random, seed: 7}"
"$HPS" run "$TMP/ref.yaml" -j 2 --db "$DB" -q >/dev/null || fail "reference study"
want=$(sql "SELECT number, hex(x) FROM trials ORDER BY number")
[ "$got" = "$want" ] || fail "the resumed old study did not propose as random: $got / $want"

# The same through hps submit (the coordinator fills the sampler in): a new study gets
# auto, the old one (resubmitted with more trials) keeps no type.
DB=$TMP/a.db
start_coord
write_study "$TMP/sub.yaml" submitted 5
"$HPS" submit "$TMP/sub.yaml" --to "$ep" >/dev/null || fail "submit of a new study"
write_study "$TMP/old.yaml" old 9
"$HPS" submit "$TMP/old.yaml" --to "$ep" >/dev/null || fail "resubmit of the old study"
want=$(printf 'old|\nsubmitted|auto')
[ "$(sql "SELECT name, json_extract(config, '$.sampler.type') FROM studies
          WHERE name IN ('submitted', 'old') ORDER BY name")" = "$want" ] \
    || fail "submitted configs: $(sql "SELECT name, config FROM studies")"
echo "ok: a new config gets auto; an old study resumes with its random sampler"
