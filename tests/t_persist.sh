# Persistent command objectives (docs/command-protocol.md) with python/hps_objective.py:
# one program serves many trials (the pid it logs stays the same), is restarted after a
# crash (that trial FAIL, the next COMPLETE from a new pid) and every restart_every
# trials; an exception fails only its trial; reports reach the median pruner, which
# prunes without a restart; a program that does not speak the protocol, or writes a bad
# protocol line, fails its trials with a clear message instead of hanging; the same
# script works per trial (persistent: false).
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
ROOT=$PWD
cat >"$TMP/obj.py" <<'PY'
import os
import hps_objective

LOG = os.environ["PIDLOG"]

def objective(trial):
    with open(LOG, "a") as f:
        f.write("%d %d\n" % (trial.id, os.getpid()))
    if trial.id == int(os.environ.get("CRASH_AT", "-1")):
        os._exit(3)
    if trial.id == int(os.environ.get("RAISE_AT", "-1")):
        raise ValueError("no good C")
    print("training trial %d" % trial.id)  # goes to the log, not the protocol
    v = trial.params["x"] ** 2 + trial.params["y"] ** 2
    for step in range(5):
        trial.report(step, v + 5 - step)
        if trial.should_prune():
            raise hps_objective.TrialPruned()
    return v

hps_objective.objective(objective)
PY
# (trial.id: the trial's id in the database, = its number + 1 with one study a file)
# study NAME N EXTRA-OBJECTIVE-KEYS [yaml lines...]: a study of obj.py logging to $TMP/NAME.pids
study() {
    local name=$1 n=$2 extra=$3; shift 3
    write_study "$TMP/$name.yaml" "$name" "$n" "objective: {type: command, run: [python3, $TMP/obj.py], env: {PYTHONPATH: $ROOT/python, PIDLOG: $TMP/$name.pids}$extra}" "direction: minimize" "sampler: {type: random, seed: 3}" "$@"
}
# run NAME [flags]: hps run it into its own DB ($DB)
run() { DB=$TMP/$1.db; "$HPS" run "$TMP/$1.yaml" -j 1 --db "$DB" -v >/dev/null 2>"$TMP/$1.err" || true; }
pids() { cut -d' ' -f2 "$TMP/$1.pids" | sort -u | wc -l; }
pid_of() { awk -v t="$2" '$1 == t {print $2}' "$TMP/$1.pids"; }
state_of() { sql "SELECT state FROM trials WHERE id = $1"; }
error_of() { sql "SELECT error FROM trials WHERE id = $1"; }

# 1. one program serves all eight trials
study serve 8 ", persistent: true"
run serve
[ "$(count_state COMPLETE)" = 8 ] || fail "serve: not 8 COMPLETE: $(sql "SELECT number, state, error FROM trials") $(cat "$TMP/serve.err")"
[ "$(pids serve)" = 1 ] || fail "serve: $(pids serve) programs served 8 trials: $(cat "$TMP/serve.pids")"

# 2. restart_every: 3 -> 7 trials by 3 programs, none serving more than 3
study every 7 ", persistent: true, restart_every: 3"
run every
[ "$(count_state COMPLETE)" = 7 ] || fail "every: not 7 COMPLETE: $(sql "SELECT number, state, error FROM trials")"
[ "$(pids every)" = 3 ] || fail "every: $(pids every) programs, want 3: $(cat "$TMP/every.pids")"

# 3. an exception fails its trial only; a crash fails its trial and the next runs in a
#    new program
study crash 6 ", persistent: true"
sed -i "s|PIDLOG:|RAISE_AT: '1', CRASH_AT: '3', PIDLOG:|" "$TMP/crash.yaml"
run crash
[ "$(state_of 1)" = FAIL ] || fail "crash: trial 1 is $(state_of 1)"
grep -q "the program failed the trial: ValueError: no good C" <<<"$(error_of 1)" || fail "crash: trial 1 error: $(error_of 1)"
[ "$(pid_of crash 1)" = "$(pid_of crash 2)" ] || fail "crash: the exception restarted the program"
[ "$(state_of 2)" = COMPLETE ] || fail "crash: trial 2 is $(state_of 2): $(error_of 2)"
[ "$(state_of 3)" = FAIL ] || fail "crash: trial 3 is $(state_of 3)"
grep -q "the program ended during the trial: exit status 3$" <<<"$(error_of 3)" || fail "crash: trial 3 error: $(error_of 3)"
[ "$(state_of 4)" = COMPLETE ] || fail "crash: trial 4 is $(state_of 4): $(error_of 4)"
[ "$(pid_of crash 4)" != "$(pid_of crash 3)" ] || fail "crash: trial 4 ran in the crashed program"
[ "$(pids crash)" = 2 ] || fail "crash: $(pids crash) programs, want 2"

# 4. reports go to the median pruner: some trials pruned, by the same program
study prune 16 ", persistent: true" "pruner: {type: median, n_startup_trials: 3}"
run prune
pruned=$(count_state PRUNED)
[ "$pruned" -ge 2 ] || fail "prune: $pruned pruned: $(sql "SELECT number, state, error FROM trials") $(grep -i "report\|prune\|error\|warn" "$TMP/prune.err" | tail -20)"
[ "$(( pruned + $(count_state COMPLETE) ))" = 16 ] || fail "prune: $(sql "SELECT number, state, error FROM trials")"
[ "$(sql "SELECT COUNT(*) FROM intermediate")" -ge 16 ] || fail "prune: reports not stored"
[ "$(pids prune)" = 1 ] || fail "prune: a prune restarted the program ($(pids prune) pids)"

# 5. programs that do not speak the protocol fail with a clear message, not a hang
protocol_fail() { # NAME RUN-LIST WANTED-ERROR [extra keys]
    write_study "$TMP/$1.yaml" "$1" 2 "objective: {type: command, run: $2, persistent: true${4:-}}" "direction: minimize"
    DB=$TMP/$1.db
    expect 1 "$HPS" run "$TMP/$1.yaml" -j 1 --db "$DB" -q
    [ "$(count_state FAIL)" = 2 ] || fail "$1: $(sql "SELECT number, state, error FROM trials")"
    grep -v -q -F "$3" <<<"$(sql "SELECT error FROM trials")" && fail "$1: error lacks '$3': $(sql "SELECT error FROM trials")"
    true
}
protocol_fail oneshot "[python3, -c, 'print(0.5)']" "the program ended before '@hps ready': exit status 0: 0.5"
protocol_fail silent "[cat]" "timeout after 1 s before '@hps ready'" ", start_timeout: 1"
cat >"$TMP/garbage.sh" <<'SH'
echo '@hps ready'
while read -r line; do echo "hello"; echo '@hps result twelve'; done
SH
protocol_fail garbage "[sh, $TMP/garbage.sh]" "protocol error: bad protocol line '@hps result twelve': expected '@hps result VALUE' with a number VALUE" ", timeout: 5"
grep -q "docs/command-protocol.md" <<<"$(sql "SELECT error FROM trials")" || fail "garbage: no hint"

# 6. bad options are config errors (exit 2), nothing run
write_study "$TMP/bad.yaml" bad 2 "objective: {type: command, run: [cat], restart_every: 3}" "direction: minimize"
expect_err 2 "restart_every: only with persistent: true" "$HPS" run "$TMP/bad.yaml" --db "$TMP/bad.db"
sed -i 's/restart_every: 3/persistent: true, restart_every: -1/' "$TMP/bad.yaml"
expect_err 2 "restart_every: must be >= 0" "$HPS" run "$TMP/bad.yaml" --db "$TMP/bad.db"

# 7. the same script per trial: a program per trial
study once 3 ""
run once
[ "$(count_state COMPLETE)" = 3 ] || fail "once: $(sql "SELECT number, state, error FROM trials")"
[ "$(pids once)" = 3 ] || fail "once: $(pids once) programs for 3 trials"
# 8. the shipped example (sklearn SVC on wine), 4 trials, where python3-sklearn is there
ex=skipped
if /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
    DB=$TMP/svc.db
    expect 0 "$HPS" run configs/examples/svc_wine/svc_wine.yaml n_trials=4 -j 1 --db "$DB" -q \
        "objective.run=[/usr/bin/python3, configs/examples/svc_wine/svc_wine.py]"
    [ "$(count_state COMPLETE)" = 4 ] || fail "svc_wine: $(sql "SELECT number, state, error FROM trials")"
    ex="4 svc_wine trials"
fi
echo "ok: 8 trials by 1 program; restart_every 3: 3 programs; crash/exception FAIL only their trial; $pruned pruned; non-protocol programs FAIL clearly; example: $ex"
