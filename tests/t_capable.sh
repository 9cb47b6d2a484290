# Workers advertise what they can run, and get only trials they can run (issue 15).
# A command study goes to the worker whose --allow-command admits it, none to the one
# whose pattern does not, and none FAIL; a study asking gpu: 1 (and one constrained to
# label zone=b) waits with "waiting: no capable worker (why)" in status and no trial
# leased, until a worker with --resources gpu=1 --gpus 3 --label zone=b joins: its
# trials then run there, one at a time (gpu=1 despite 2 slots), with
# CUDA_VISIBLE_DEVICES=3 and HPS_SLOT set. An older worker's HELLO (no capabilities)
# gets built-in objectives' trials, no command ones.
. "$(dirname "$0")/lib.sh"
: "${RAWPEER:?RAWPEER must point at the tests/rawpeer binary (make check sets it)}"
DB=$TMP/cap.db
# The objective: logs "tag slot devices", checks that no two GPU trials overlap.
cat >"$TMP/obj.sh" <<EOF
echo "\$HPS_STUDY_TAG \${HPS_SLOT-unset} \${CUDA_VISIBLE_DEVICES-unset}" >>"$TMP/env.txt"
if [ "\$HPS_STUDY_TAG" = gpu ]; then
    mkdir "$TMP/gpu.lock" 2>/dev/null || echo overlap >>"$TMP/overlap"
    sleep 0.3
    rmdir "$TMP/gpu.lock"
fi
sleep 0.2 # long enough for every idle worker to ask meanwhile
echo 0.5
EOF
study() { # study NAME N TAG [extra yaml lines]: a command study running obj.sh
    local name=$1 n=$2 tag=$3; shift 3
    write_study "$TMP/$name.yaml" "$name" "$n" \
        "objective: {type: command, run: [/bin/sh, $TMP/obj.sh], env: {HPS_STUDY_TAG: $tag}}" \
        "direction: minimize" "$@"
    "$HPS" submit "$TMP/$name.yaml" --to "$ep" >"$TMP/submit.$name"
}
# worker names, one per trial of study $1, sorted and counted
workers_of() {
    sql "SELECT t.worker, COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id
         WHERE s.name = '$1' GROUP BY t.worker ORDER BY t.worker"
}
n_trials() { sql "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = '$1'"; }
state_of() { sql "SELECT state FROM studies WHERE name = '$1'"; }
# wait_status SECONDS TEXT: poll the live status until it shows TEXT
wait_status() {
    local deadline=$(( $(date +%s) + $1 ))
    until "$HPS" status --to "$ep" >"$TMP/status" 2>&1 && grep -qF -- "$2" "$TMP/status"; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "status never showed '$2': $(cat "$TMP/status")"
        sleep 0.1
    done
}

start_coord
allow="--allow-env HPS_STUDY_TAG"
start wa "$HPS" worker --connect "$ep" --name wa --slots 2 --allow-command "/bin/sh $TMP/obj.sh" $allow
WA=$LAST_PID
start wb "$HPS" worker --connect "$ep" --name wb --slots 2 --allow-command "/bin/sh $TMP/other.sh" $allow
WB=$LAST_PID
wait_sql 20 "SELECT COUNT(*) FROM workers" 2
study cmd 6 cmd
wait_sql 30 "SELECT state FROM studies WHERE name = 'cmd'" done
r=$(workers_of cmd); [ "$r" = "wa|6" ] || fail "command trials ran on: $r"
r=$(sql "SELECT COUNT(*) FROM trials WHERE state <> 'COMPLETE'"); [ "$r" = 0 ] || fail "$r trials not COMPLETE"
r=$(grep -c '^cmd [01] unset$' "$TMP/env.txt" || true); [ "$r" = 6 ] || fail "HPS_SLOT: $(cat "$TMP/env.txt")"
echo "ok: the command study's 6 trials all ran on wa (its --allow-command admits it), none FAIL"

study gpu 4 gpu "resources: {gpu: 1}"
study zoned 2 zoned "constraints: {zone: b}"
wait_status 20 "study gpu: waiting: no capable worker (needs gpu=1; connected workers offer none)"
grep -qF "created study 'gpu': 4 trials to run; waiting: no capable worker (needs gpu=1; connected workers offer none)" \
    "$TMP/submit.gpu" || fail "submit gpu: $(cat "$TMP/submit.gpu")"
grep -qxF "created study 'cmd': 6 trials to run" "$TMP/submit.cmd" || fail "submit cmd: $(cat "$TMP/submit.cmd")"
grep -qF "study zoned: waiting: no capable worker (needs label zone=b; connected workers have none)" \
    "$TMP/status" || fail "zoned: $(cat "$TMP/status")"
"$HPS" status --to "$ep" --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
w = {x["study"]: x for x in st["waiting"]}
assert w["gpu"]["waiting"] == "no capable worker", w
assert w["gpu"]["why"] == "needs gpu=1; connected workers offer none", w' || fail "status --json"
heard=$(sql "SELECT MAX(last_seen) FROM workers WHERE name = 'wa'")
wait_sql 10 "SELECT MAX(last_seen) > $heard FROM workers WHERE name = 'wa'" 1 # asked since
r=$(n_trials gpu)$(n_trials zoned); [ "$r" = 00 ] || fail "trials leased to incapable workers: $r"
echo "ok: submit and status say why the gpu and zone studies wait; no trial leased to wa or wb"

start wg "$HPS" worker --connect "$ep" --name wg --slots 2 --resources gpu=1 --gpus 3 \
    --label zone=b --allow-command "/bin/sh $TMP/obj.sh" $allow
WG=$LAST_PID
wait_sql 40 "SELECT COUNT(*) FROM studies WHERE name IN ('gpu', 'zoned') AND state = 'done'" 2
r=$(workers_of gpu); [ "$r" = "wg|4" ] || fail "gpu trials ran on: $r"
r=$(workers_of zoned); [ "$r" = "wg|2" ] || fail "zoned trials ran on: $r"
r=$(grep -c '^gpu [01] 3$' "$TMP/env.txt" || true); [ "$r" = 4 ] || fail "gpu env: $(cat "$TMP/env.txt")"
[ ! -e "$TMP/overlap" ] || fail "two gpu: 1 trials ran at once on a gpu=1 worker"
# ... and the coordinator leased the next only once the last had ended (the worker's
# own bound on its devices would hide a second lease that waits there).
r=$(sql "SELECT COUNT(*) FROM trials a JOIN trials b ON a.study_id = b.study_id
         JOIN studies s ON s.id = a.study_id WHERE s.name = 'gpu' AND a.id <> b.id
         AND b.started >= a.started AND b.started < a.finished")
[ "$r" = 0 ] || fail "$r gpu trial(s) leased while another held the only GPU"
r=$(sql "SELECT COUNT(*) FROM trials WHERE state <> 'COMPLETE'"); [ "$r" = 0 ] || fail "$r trials not COMPLETE"
"$HPS" status --to "$ep" >"$TMP/status"
! grep -q waiting "$TMP/status" || fail "still waiting: $(cat "$TMP/status")"
echo "ok: wg (gpu=1, --gpus 3, zone=b) ran them one at a time with CUDA_VISIBLE_DEVICES=3 and HPS_SLOT"

# An older worker (a HELLO without capabilities): built-in objectives, but no command
# (it does not say which it admits) and no resources.
{ kill -9 "$WA" "$WB" "$WG" && wait "$WA" "$WB" "$WG"; } 2>/dev/null || true
study oldcmd 1 cmd
write_study "$TMP/oldsyn.yaml" oldsyn 1
"$HPS" submit "$TMP/oldsyn.yaml" --to "$ep" >/dev/null
"$RAWPEER" --connect "$ep" --wait 1000 --answers 2 HELLO worker=old host=h pid=pid slots=2 -- \
    ASK slots_free=2 >"$TMP/old.out"
grep -q "^TRIAL" "$TMP/old.out" || fail "the old worker got no trial: $(cat "$TMP/old.out")"
r=$(sql "SELECT s.name || '|' || t.worker FROM trials t JOIN studies s ON s.id = t.study_id
         WHERE s.name LIKE 'old%'")
[ "$r" = "oldsyn|old" ] || fail "leased to the old worker: $r"
echo "ok: an older worker's HELLO gets the synthetic trial, not the command one"

expect_err 2 "is not a whole amount" "$HPS" worker --connect "$ep" --resources gpu=x
expect_err 2 "--gpus names 1 device" "$HPS" worker --connect "$ep" --resources gpu=2 --gpus 0
expect_err 2 "--gpus: device id '1' is given twice" "$HPS" worker --connect "$ep" --gpus 1,0,1
expect_err 2 "label zone: bad value" "$HPS" worker --connect "$ep" --label zone=a=b
write_study "$TMP/bad.yaml" bad 1 "resources: {gpu: -1}"
expect_err 2 "resources.gpu: expected a whole amount" "$HPS" submit "$TMP/bad.yaml" --to "$ep"
expect_err 2 "its local workers cannot run its trials: needs gpu=1 (they offer cpu=" \
    "$HPS" run "$TMP/gpu.yaml" --db "$TMP/run.db"
[ ! -e "$TMP/run.db" ] || fail "hps run of a study it cannot run made a database"
echo "ok: bad --resources, --gpus, --label and study resources exit 2; so does hps run of a gpu study"
