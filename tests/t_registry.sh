# The model registry across a real coordinator and workers that share no file system
# (each its own cache): (1) a command objective's final refit writes a model file to
# $HPS_ARTIFACT_DIR; it arrives in the coordinator's blobs under its sha256 (the same
# bytes), is registered with its lineage, and the worker keeps nothing. (2) Stage moves:
# production only from staging, no silent demotion, staging -> production archives the
# old holder, --force recorded with who/when, history lists every move. (3) hps model
# export writes the file and a JSON card; hps model path resolves NAME@STAGE. (4) A
# worker killed with -9 during the upload (slowed by tests/lossy_proxy.py): the refit
# runs again elsewhere and the study ends with exactly one version whose blob matches.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/coord" "$TMP/keep"
DB=$TMP/coord/r.db
printf 'a,b\n1,2\n3,4\n' >"$TMP/d.csv"
# The program: score 1 - |x - 0.3|; a final refit also writes a 4 MB model that depends
# only on x (so a re-run writes the same bytes) and keeps a copy for the test.
cat >"$TMP/train.sh" <<EOF
#!/bin/sh
cat >/dev/null
if [ "\$HPS_FINAL" = 1 ]; then
    [ -d "\$HPS_ARTIFACT_DIR" ] || { echo "no HPS_ARTIFACT_DIR" >&2; exit 3; }
    python3 -c "import os, sys; sys.stdout.buffer.write(os.environ['HPS_PARAM_X'].encode().ljust(32, b'.') * 131072)" >"\$HPS_ARTIFACT_DIR/model.pkl"
    cp "\$HPS_ARTIFACT_DIR/model.pkl" "$TMP/keep/\$HPS_TRIAL.\$HPS_ATTEMPT.pkl"
fi
python3 -c "import os; print(1 - abs(float(os.environ['HPS_PARAM_X']) - 0.3))"
EOF
chmod +x "$TMP/train.sh"
study() { # FILE NAME N STRATEGY [extra lines]
    local f=$1 name=$2 n=$3 strategy=$4; shift 4
    {
        echo "study: $name"
        echo "direction: maximize"
        echo "n_trials: $n"
        echo "data: {path: $TMP/d.csv}"
        echo "objective: {type: command, run: [$TMP/train.sh]}"
        echo "space: {x: {type: float, low: 0, high: 1}}"
        echo "sampler: {type: random, seed: ${SEED:-5}}"
        echo "strategy: {type: $strategy}"
        for l in "$@"; do echo "$l"; done
    } >"$f"
}
study "$TMP/a.yaml" reg 3 balanced
study "$TMP/b.yaml" reg-b 2 quick "register: reg"
killed=killed-during-its-upload # a model not seen yet, its name longer than 20
SEED=11 study "$TMP/c.yaml" reg-c 1 balanced "register: $killed"
done_studies() { sql "SELECT COUNT(*) FROM studies WHERE state = 'done'"; }

start_coord --lease-ms 3000
start w1 "$HPS" worker --connect "$ep" --name w1 --cache "$TMP/w1"
w1=$LAST_PID
"$HPS" submit "$TMP/a.yaml" --to "$ep" >/dev/null
wait_sql 60 "SELECT COUNT(*) FROM studies WHERE state = 'done'" 1
"$HPS" submit "$TMP/b.yaml" --to "$ep" >/dev/null
wait_sql 60 "SELECT COUNT(*) FROM studies WHERE state = 'done'" 2

# ---- (1) the artifact and its lineage
[ "$(sql "SELECT name, version FROM model_versions ORDER BY version" | tr '\n' ' ')" = \
  "reg|1 reg|2 " ] || fail "versions: $(sql "SELECT name, version, study_id FROM model_versions")"
final=$(sql "SELECT t.id FROM trials t JOIN studies s ON s.id = t.study_id
             WHERE s.name = 'reg' AND t.kind = 'final'")
sha=$(sql "SELECT sha256 FROM model_versions WHERE version = 1")
blob=$DB.blobs/$sha
[ -f "$blob" ] || fail "no blob $blob"
[ "$(sha256sum "$blob" | cut -d' ' -f1)" = "$sha" ] || fail "blob content is not its sha256"
cmp -s "$blob" "$TMP/keep/$final.1.pkl" || fail "blob differs from what the program wrote"
[ "$(stat -c %a "$blob")" = 600 ] || fail "blob mode $(stat -c %a "$blob")"
[ -z "$(ls -A "$TMP/w1/artifacts")" ] || fail "worker kept $(ls "$TMP/w1/artifacts")"
[ ! -e "$TMP/w1/blobs/$sha" ] || fail "artifact in the worker's blob cache"
data_sha=$(sha256sum "$TMP/d.csv" | cut -d' ' -f1)
best_x=$(sql "SELECT json_extract(params, '$.x') FROM trials t JOIN studies s
              ON s.id = t.study_id WHERE s.name = 'reg' AND t.id = s.best_trial")
sql "SELECT lineage FROM model_versions WHERE version = 1" >"$TMP/lineage.json"
python3 - "$TMP/lineage.json" "$final" "$data_sha" "$best_x" "$sha" <<'PY' || fail "lineage"
import json, sys
l = json.load(open(sys.argv[1]))
final, data_sha, best_x, sha = int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
assert l["study"] == "reg" and l["name"] == "reg" and l["trial"] == final, l
assert l["params"]["x"] == best_x and l["data_sha256"] == data_sha, l
assert l["config"]["study"] == "reg" and l["config"]["strategy"]["type"] == "balanced", l
assert l["hps_version"] and l["tier"] == "standard" and l["strategy"] == "balanced", l
assert abs(l["test_score"] - (1 - abs(best_x - 0.3))) < 1e-9, l
assert l["artifact"] == {"sha256": sha, "file": "model.pkl", "size": 4194304}, l
PY
expect 0 "$HPS" models --db "$DB" --format json
python3 -c "
import json; m = json.load(open('$TMP/out'))
assert [(v['name'], v['version'], v['stage'], v['tier']) for v in m] == \
    [('reg', 1, 'none', 'standard'), ('reg', 2, 'none', 'limited')], m
assert m[0]['data_sha256'] == '$data_sha' and m[1]['study'] == 'reg-b', m" || fail "models json"

# ---- (2) stage moves
stage() { sql "SELECT stage FROM model_versions WHERE name = 'reg' AND version = $1"; }
expect_err 1 "never in staging" "$HPS" promote reg:1 --db "$DB" --stage production
[ "$(sql "SELECT COUNT(*) FROM model_stages")" = 0 ] || fail "a refusal was recorded"
expect 0 "$HPS" promote reg:1 --db "$DB" --stage staging
expect 0 "$HPS" promote reg:1 --db "$DB" --stage production
expect_err 1 "in production" "$HPS" promote reg:1 --db "$DB" --stage staging
[ "$(stage 1)" = production ] || fail "staging demoted production: $(stage 1)"
expect 0 "$HPS" promote reg:2 --db "$DB" --stage staging
[ "$(stage 1)|$(stage 2)" = "production|staging" ] || fail "staging v2 moved v1: $(stage 1)"
expect_err 1 "standard" "$HPS" promote reg --db "$DB" --stage production  # tier limited
expect 0 "$HPS" promote reg --db "$DB" --stage production --force
grep -q "FORCED" "$TMP/out" && grep -q "version 1: production -> archived" "$TMP/out" \
    || fail "forced move output: $(cat "$TMP/out")"
[ "$(stage 1)|$(stage 2)" = "archived|production" ] || fail "after force: $(stage 1)|$(stage 2)"
expect 0 "$HPS" models history reg --db "$DB" --format json
who="$(id -un)@$(hostname)"
python3 -c "
import json, time; h = json.load(open('$TMP/out'))
got = [(t['version'], t['from'], t['to'], t['forced']) for t in h]
assert got == [(1, 'none', 'staging', False), (1, 'staging', 'production', False),
               (2, 'none', 'staging', False), (1, 'production', 'archived', False),
               (2, 'staging', 'production', True)], got
assert all(t['who'] == '$who' and abs(t['at'] - time.time()) < 600 for t in h), h" \
    || fail "history: $(cat "$TMP/out")"
expect 0 "$HPS" models history reg --db "$DB"
[ "$(grep -c '^reg ' "$TMP/out")" = 5 ] || fail "history table: $(cat "$TMP/out")"
expect_err 2 "no registered model 'nosuch'" "$HPS" models history nosuch --db "$DB"
expect 0 "$HPS" leaderboard --db "$DB" --format json --study reg-b
python3 -c "
import json; r = json.load(open('$TMP/out'))[0]
assert r['stage'] == 'production' and r['forced'] is True, r" || fail "leaderboard stage"

# ---- (3) export and path
sha2=$(sql "SELECT sha256 FROM model_versions WHERE version = 2")
expect 0 "$HPS" model export reg@production --db "$DB" -o "$TMP/exp"
# nothing is written over the study file, its blobs or predict's own inputs
blob=$("$HPS" model path reg@production --db "$DB")
sum0=$(cat "$DB" "$blob" | sha256sum)
expect_err 2 "inside the study file's .blobs folder" "$HPS" model export reg@production \
    --db "$DB" -o "$DB.blobs"
expect_err 2 "-o $DB is the study file" "$HPS" predict reg@production "$TMP/exp/model_card.json" \
    --db "$DB" -o "$DB"
expect_err 2 "is an input" "$HPS" predict "$blob" "$TMP/exp/model_card.json" -o "$blob"
cp "$TMP/exp/model_card.json" "$TMP/card.bak"
expect_err 2 "is an input" "$HPS" predict reg@production "$TMP/exp/model_card.json" --db "$DB" \
    -o "$TMP/exp/model_card.json"
cmp -s "$TMP/card.bak" "$TMP/exp/model_card.json" || fail "predict wrote over its input"
[ "$(cat "$DB" "$blob" | sha256sum)" = "$sum0" ] || fail "the study file or a blob changed"
[ "$(sha256sum "$TMP/exp/model.pkl" | cut -d' ' -f1)" = "$sha2" ] || fail "exported file"
python3 -c "
import json; c = json.load(open('$TMP/exp/model_card.json'))
assert c['name'] == 'reg' and c['version'] == 2 and c['stage'] == 'production', c
assert c['artifact']['sha256'] == '$sha2' and c['tier'] == 'limited', c
assert c['lineage']['study'] == 'reg-b' and c['metrics']['test_score'] > 0, c
assert [(t['from'], t['to'], t['forced']) for t in c['history']] == \
    [('none', 'staging', False), ('staging', 'production', True)], c" || fail "model card"
expect 0 "$HPS" model path reg@archived --db "$DB"
[ "$(cat "$TMP/out")" = "$blob" ] || fail "path: $(cat "$TMP/out")"
expect_err 2 "no version in staging" "$HPS" model path reg@staging --db "$DB"
expect_err 2 "no registered model" "$HPS" model path nope@production --db "$DB"

# ---- (4) kill -9 during the upload: w1 leaves; the victim reaches the coordinator
# through a proxy that holds every chunk 150 ms, so 16 chunks take seconds.
kill "$w1"
wait_exit 20 "$w1" "worker w1"
pport=$(free_port)
start proxy python3 "$here/lossy_proxy.py" --listen "127.0.0.1:$pport" \
    --target "127.0.0.1:${ep##*:}" --delay-ms 150
wait_for_proxy() { grep -q ready "$TMP/proxy.log"; }
deadline=$(( $(date +%s) + 10 ))
until wait_for_proxy; do [ "$(date +%s)" -lt "$deadline" ] || fail "proxy"; sleep 0.05; done
start victim "$HPS" worker --connect "tcp://127.0.0.1:$pport" --name victim --cache "$TMP/v"
victim=$LAST_PID
"$HPS" submit "$TMP/c.yaml" --to "$ep" >/dev/null
deadline=$(( $(date +%s) + 60 ))
until ls "$DB.blobs/"*.part >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "no upload in progress: $(tail -5 "$TMP/victim.log")"
    sleep 0.02
done
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
[ "$(sql "SELECT COUNT(*) FROM model_versions WHERE name = '$killed'")" = 0 ] \
    || fail "registered before the upload ended"
start rescuer "$HPS" worker --connect "$ep" --name rescuer --cache "$TMP/r"
wait_sql 60 "SELECT COUNT(*) FROM studies WHERE state = 'done'" 3
[ "$(sql "SELECT COUNT(*) FROM model_versions WHERE name = '$killed'")" = 1 ] \
    || fail "versions of killed: $(sql "SELECT * FROM model_versions WHERE name = '$killed'")"
ksha=$(sql "SELECT sha256 FROM model_versions WHERE name = '$killed'")
[ "$(sha256sum "$DB.blobs/$ksha" | cut -d' ' -f1)" = "$ksha" ] || fail "killed blob"
kfinal=$(sql "SELECT t.id || '.' || t.attempt || '|' || t.worker FROM trials t
              JOIN studies s ON s.id = t.study_id WHERE s.name = 'reg-c' AND t.kind = 'final'")
[ "${kfinal#*|}" = rescuer ] && [ "${kfinal%|*}" != "${kfinal%%.*}.1" ] \
    || fail "final refit did not re-run: $kfinal"
cmp -s "$DB.blobs/$ksha" "$TMP/keep/${kfinal%|*}.pkl" || fail "killed blob != program output"
! ls "$DB.blobs/"*.part >/dev/null 2>&1 || fail "a partial upload was left: $(ls "$DB.blobs")"
# the table's columns line up past a name longer than the usual 20 characters
expect 0 "$HPS" models --db "$DB"
python3 - "$TMP/out" "$killed" <<'PY' || fail "models table misaligned: $(cat "$TMP/out")"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
at = lines[0].index(" STAGE")
assert any(l.startswith(sys.argv[2] + " ") for l in lines), lines
for l in lines[1:]:
    assert l[at] == " " and l[at + 1:].split()[0] in ("none", "staging", "production", "archived"), l
PY
# (5) `hps run --max-artifact-mb`: its local workers refuse the 4 MB model at 1 MB (the
# final refit fails naming the flag) and take it at 8 MB.
study "$TMP/m.yaml" capped 1 quick
(cd "$TMP" && "$HPS" run m.yaml --db "$TMP/m1.db" -j 1 --max-artifact-mb 1 -q) \
    >/dev/null 2>"$TMP/m1.err"
[ "$(sqlite3 "$TMP/m1.db" "SELECT COUNT(*) FROM model_versions")" = 0 ] || fail "capped: registered"
sqlite3 "$TMP/m1.db" "SELECT error FROM trials WHERE kind = 'final'" \
    | grep -q -- "--max-artifact-mb 1" || fail "capped: $(cat "$TMP/m1.err")"
(cd "$TMP" && "$HPS" run m.yaml --db "$TMP/m8.db" -j 1 --max-artifact-mb 8 -q) \
    >/dev/null 2>"$TMP/m8.err" || fail "--max-artifact-mb 8: $(cat "$TMP/m8.err")"
[ "$(sqlite3 "$TMP/m8.db" "SELECT COUNT(*) FROM model_versions")" = 1 ] || fail "8 MB: not registered"
# (6) Registered versions outlive their study: delete says it keeps them, the listing
# names the deleted study, and the next study (which SQLite may give the deleted study's
# and trial's ids) registers its own version beside it.
"$HPS" delete capped --db "$TMP/m8.db" --yes >"$TMP/del.out" || fail "delete capped"
grep -q "kept the 1 model version registered from it" "$TMP/del.out" || fail "delete: $(cat "$TMP/del.out")"
"$HPS" copy reg --db "$DB" --to-db "$TMP/copy.db" >"$TMP/copy.out" || fail "copy reg"
grep -q "its 1 model version stays in $DB.s registry" "$TMP/copy.out" || fail "copy: $(cat "$TMP/copy.out")"
(cd "$TMP" && "$HPS" run m.yaml --db "$TMP/m8.db" -j 1 --max-artifact-mb 8 -q) \
    >/dev/null 2>"$TMP/m8b.err" || fail "run after delete: $(cat "$TMP/m8b.err")"
"$HPS" models --db "$TMP/m8.db" --format json >"$TMP/m8.json" || fail "models after delete"
python3 - "$TMP/m8.json" <<'PY' || fail "models after delete: $(cat "$TMP/m8.json")"
import json, sys
v = {m["version"]: m for m in json.load(open(sys.argv[1]))}
assert sorted(v) == [1, 2], v
assert v[1]["study"] == "capped (deleted)" and v[2]["study"] == "capped", v
assert v[1]["trial"] > 0, v
PY
echo "ok: artifacts by sha256 across caches, lineage, stage rules, export, kill -9 mid-upload"
