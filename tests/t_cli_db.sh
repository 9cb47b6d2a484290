# The commands that read a study file: status --db, leaderboard (all formats), promote
# (rules, --force, exit codes), keygen, and exit 2 for a missing DB or a bad flag.
# The DB comes from a real `hps run`, with a second study whose name needs CSV quoting.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
DB=$TMP/x.db

"$HPS" run "$here/bad_configs/good.yaml" --db "$DB" -j 2 >/dev/null 2>"$TMP/run.err" \
    || { cat "$TMP/run.err"; fail "hps run good.yaml"; }
write_study "$TMP/c.yaml" '"q,r"' 3 "sampler: {type: random, seed: 3}"
"$HPS" run "$TMP/c.yaml" --db "$DB" -j 1 >/dev/null 2>"$TMP/run.err" \
    || { cat "$TMP/run.err"; fail "hps run c.yaml"; }
sum=$(sha256sum "$DB" | cut -d' ' -f1)

# ---- status
expect 0 "$HPS" status --db "$DB" --json
python3 - "$TMP/out" <<'PY' || fail "status --json: $(cat "$TMP/out")"
import json, sys
st = json.load(open(sys.argv[1]))
assert set(st) == {"studies", "workers", "workers_total"}, st.keys()
by = {s["study"]: s for s in st["studies"]}
assert set(by) == {"bad", "q,r"}, by.keys()
s = by["bad"]
assert s["state"] == "done" and s["n_trials"] == 5, s
assert set(s["trials"]) == {"COMPLETE", "RUNNING", "WAITING", "FAIL", "PRUNED"}, s
assert s["trials"]["COMPLETE"] == 5 and s["trials"]["RUNNING"] == 0, s
b = s["best"]
assert set(b) == {"trial", "value", "params"} and set(b["params"]) == {"x", "y"}, b
assert abs(b["value"] - (b["params"]["x"] ** 2 + b["params"]["y"] ** 2)) < 1e-9, b
assert by["q,r"]["trials"]["COMPLETE"] == 3
for w in st["workers"]:
    assert set(w) == {"name", "host", "pid", "slots", "last_seen", "state"}, w
    assert w["state"] == "left", w  # told BYE when hps run ended
assert st["workers"], "hps run's workers are recorded"
PY
expect 0 "$HPS" status --db "$DB" --json "q,r"
python3 -c "import json,sys; st=json.load(open('$TMP/out')); assert [s['study'] for s in st['studies']] == ['q,r']" \
    || fail "status STUDY: $(cat "$TMP/out")"
expect 0 "$HPS" status --db "$DB"
grep -q "^bad " "$TMP/out" || fail "status table: $(cat "$TMP/out")"
expect 2 "$HPS" status --db "$DB" nope
grep -qF "no study 'nope' (studies: bad, q,r)" "$TMP/err" || fail "unknown study message: $(cat "$TMP/err")"

# ---- leaderboard
expect 0 "$HPS" leaderboard --db "$DB" --format csv
python3 - "$TMP/out" <<'PY' || fail "csv: $(cat "$TMP/out")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
by = {r["study"]: r for r in rows}
assert len(rows) == 2 and set(by) == {"bad", "q,r"}, rows
assert by["bad"]["model"] == "synthetic" and by["bad"]["complete"] == "5", by["bad"]
assert float(by["bad"]["best"]) >= 0 and by["bad"]["metric"] == "value", by["bad"]
PY
grep -q '^[12],"q,r",' "$TMP/out" || fail "csv quoting: $(cat "$TMP/out")"
expect 0 "$HPS" leaderboard --db "$DB" --format json --sort study
python3 -c "
import json; rows = json.load(open('$TMP/out'))
assert [r['study'] for r in rows] == ['bad', 'q,r'], rows
assert rows[1]['n_trials'] == 3 and rows[1]['complete'] == 3, rows[1]
" || fail "json: $(cat "$TMP/out")"
expect 0 "$HPS" leaderboard --db "$DB" --format md
[ "$(wc -l <"$TMP/out")" = 4 ] || fail "md rows: $(cat "$TMP/out")"
head -1 "$TMP/out" | grep -q '^| rank | study | metric | dir | state | model |' \
    || fail "md header: $(cat "$TMP/out")"
sed -n 2p "$TMP/out" | grep -q '^| ---: | --- |' || fail "md rule: $(cat "$TMP/out")"
expect 0 "$HPS" leaderboard --db "$DB"
[ "$(wc -l <"$TMP/out")" = 3 ] || fail "table rows: $(cat "$TMP/out")"
grep -q '^ *[12]  bad  *value  *min  *done  *synthetic' "$TMP/out" || fail "table: $(cat "$TMP/out")"
expect 2 "$HPS" leaderboard --db "$DB" --format xml
expect 2 "$HPS" leaderboard --db "$DB" --bogus
[ "$(sha256sum "$DB" | cut -d' ' -f1)" = "$sum" ] || fail "status/leaderboard changed the DB"

# ---- promote: a synthetic study has no strategy, so at best the "limited" tier
expect 2 "$HPS" promote nope --db "$DB" --stage staging
expect 2 "$HPS" promote bad --db "$DB" --stage prod
expect 2 "$HPS" promote bad --db "$DB"
expect 1 "$HPS" promote bad --db "$DB" --stage production
grep -q "refused" "$TMP/err" || fail "refusal message: $(cat "$TMP/err")"
[ "$(sql "SELECT COUNT(*) FROM promotions")" = 0 ] || fail "a refusal was recorded"
tier=$(sql "SELECT COALESCE(tier, '') FROM studies WHERE name = 'bad'")
if [ -z "$tier" ]; then
    # no final refit: nothing to promote, even forced
    expect 1 "$HPS" promote bad --db "$DB" --stage production --force
    grep -q "refit" "$TMP/err" || fail "no-tier message: $(cat "$TMP/err")"
else
    expect 0 "$HPS" promote bad --db "$DB" --stage production --force
    grep -q "FORCED" "$TMP/out" || fail "forced message: $(cat "$TMP/out")"
    [ "$(sql "SELECT stage, forced FROM promotions")" = "production|1" ] || fail "forced row"
    expect 0 "$HPS" leaderboard --db "$DB" --format json --study bad
    python3 -c "
import json; r = json.load(open('$TMP/out'))[0]
assert r['stage'] == 'production' and r['forced'] is True, r" || fail "stage on the leaderboard"
fi

# ---- keygen
expect 0 "$HPS" keygen -o "$TMP/keys" --name n1
[ "$(sed -n 1p "$TMP/out")" = "$TMP/keys/n1.key" ] || fail "keygen path: $(cat "$TMP/out")"
[ "$(sed -n 2p "$TMP/out" | tr -d '\n' | wc -c)" = 40 ] || fail "Z85 key: $(cat "$TMP/out")"
[ -f "$TMP/keys/n1.key" ] && [ -f "$TMP/keys/n1.key_secret" ] || fail "key files"
[ "$(stat -c %a "$TMP/keys/n1.key_secret")" = 600 ] || fail "secret key mode"
grep -qF -- "$(sed -n 2p "$TMP/out")" "$TMP/keys/n1.key" || fail "public key file content"
expect 1 "$HPS" keygen -o "$TMP/keys" --name n1
grep -q "overwrite" "$TMP/err" || fail "overwrite message: $(cat "$TMP/err")"

# ---- missing DB, bad flags: exit 2, nothing created
expect 2 "$HPS" status --db "$TMP/none.db" --json
grep -q "no such study database" "$TMP/err" || fail "missing DB message: $(cat "$TMP/err")"
expect 2 "$HPS" leaderboard --db "$TMP/none.db"
expect 2 "$HPS" promote bad --db "$TMP/none.db" --stage staging
[ ! -e "$TMP/none.db" ] || fail "a missing DB was created"
expect 2 "$HPS" status --db "$DB" --bogus
expect 2 "$HPS" keygen --stage x
expect 0 "$HPS" leaderboard --help
grep -q "usage: hps leaderboard" "$TMP/out" || fail "--help on stdout"
echo "ok: status, leaderboard, promote, keygen on a DB file"
