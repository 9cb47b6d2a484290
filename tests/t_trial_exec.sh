# A trial process is a fresh exec of hps (`hps __trial-process FD`, worker/spawn.h), not
# a fork of the threaded worker: the parent of a `command` objective's program shows that
# command line, under `hps run` (local workers) and under `hps worker`. The hidden
# subcommand is in no help text, and refuses to run without a socket from a worker.
. "$(dirname "$0")/lib.sh"
# The objective records its parent's (the trial process's) argv, a file per trial.
objective() {
    local run="cat /proc/\$PPID/cmdline >$TMP/$1.\$HPS_TRIAL; touch $TMP/$1.n\$HPS_TRIAL_NUMBER; echo 1"
    echo "objective: {type: command, run: \"$run\"}"
}
check() { # check NAME TRIALS: every trial ran in an exec'd trial process
    local n
    for f in "$TMP/$1".[0-9]*; do tr '\0' ' ' <"$f"; echo; done >"$TMP/$1.args"
    n=$(grep -c "hps __trial-process [0-9]* $" "$TMP/$1.args") || true
    [ "$n" = "$2" ] || fail "$1: $n of $2 trials in an exec'd process: $(cat "$TMP/$1.args")"
}
write_study "$TMP/run.yaml" viarun 4 "direction: minimize" "sampler: {type: random, seed: 2}" \
    "$(objective run)"
DB=$TMP/run.db
"$HPS" run "$TMP/run.yaml" -j 2 --db "$DB" >"$TMP/run.out" 2>"$TMP/run.err" \
    || fail "hps run: $(cat "$TMP/run.err")"
[ "$(count_state COMPLETE)" = 4 ] || fail "run: $(cat "$TMP/run.err")"
check run 4
# HPS_TRIAL_NUMBER is the trial's number within its study (HPS_TRIAL its id in the file).
for n in 0 1 2 3; do [ -e "$TMP/run.n$n" ] || fail "no trial saw HPS_TRIAL_NUMBER=$n: $(ls "$TMP")"; done
# `hps worker` from a binary deleted once it runs (as a rebuild replaces it): each trial
# in a fresh process (--recycle-after 1), exec'd from /proc/self/exe all the same.
DB=$TMP/w.db
start_coord
mkdir "$TMP/bin"
cp "$HPS" "$TMP/bin/hps"
start worker "$TMP/bin/hps" worker --connect "$ep" --name w1 --recycle-after 1
wait_for 30 "len(st['workers']) == 1"
rm "$TMP/bin/hps"
write_study "$TMP/w.yaml" viaworker 3 "direction: minimize" "sampler: {type: random, seed: 3}" \
    "$(objective worker)"
"$HPS" submit "$TMP/w.yaml" --to "$ep" >/dev/null
wait_for 30 "[s for s in st['studies'] if s['state'] == 'done']"
[ "$(count_state COMPLETE)" = 3 ] || fail "worker: $(cat "$TMP/worker.log")"
check worker 3
echo "ok: trials ran in exec'd trial processes (hps run, and hps worker from a deleted binary)"

# Hidden: not in the help, and nothing runs without a worker's socket.
"$HPS" --help | grep -q trial-process && fail "__trial-process in hps --help"
expect_err 2 "started by hps worker only" "$HPS" __trial-process
expect_err 2 "started by hps worker only" "$HPS" __trial-process x
expect_err 2 "fd 9: Bad file descriptor" "$HPS" __trial-process 9
expect_err 2 "fd 0 is not a unix stream socket" "$HPS" __trial-process 0 </dev/null
# A socket whose other end closes without SETUP.
python3 - "$HPS" <<'P' || fail "socket without SETUP"
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "__trial-process", str(b.fileno())], pass_fds=[b.fileno()],
                     stderr=subprocess.PIPE)
b.close(); a.close()
err = p.stderr.read().decode(); rc = p.wait(timeout=20)
assert rc == 2 and "no SETUP from the worker" in err, (rc, err)
P
echo "ok: __trial-process is hidden and refuses to run without a worker's socket"
