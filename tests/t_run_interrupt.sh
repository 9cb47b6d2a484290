# Ctrl-C on `hps run`: exit 130, one line on stderr, the running trials released at once
# (WAITING again as the same attempt, committed before exit), so a rerun resumes without
# waiting for leases (--lease-ms 60000 here) and runs every trial once. Also: trials
# left RUNNING by a run killed with -9 are taken back at the next start; progress lines
# without a TTY (finished counts, ETA), none with -q; on a TTY (Ctrl-C typed into a
# pseudo-terminal) the progress line is ended with a newline before the message.
. "$(dirname "$0")/lib.sh"
DB=$TMP/i.db
write_study "$TMP/s.yaml" intr 40 "sampler: {type: random, seed: 5}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 300}"
BUSY="SELECT (SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE') >= 4
          AND (SELECT COUNT(*) FROM trials WHERE state = 'RUNNING') >= 2"
# run_bg NAME ARGS...: hps run in the background (no TTY), pid in $RUN_PID
run_bg() {
    local name=$1; shift
    "$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    RUN_PID=$!
    PIDS+=("$RUN_PID")
}
# rerun NAME: the same command with a long lease; must finish all 40 well before it
rerun() {
    local t0; t0=$(date +%s%N)
    "$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" --lease-ms 60000 >"$TMP/$1.out" 2>"$TMP/$1.err" \
        || { cat "$TMP/$1.err"; fail "$1: exit $?"; }
    RERUN_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$RERUN_MS" -lt 30000 ] || fail "$1 took ${RERUN_MS} ms: it waited for leases"
    [ "$(sql "SELECT state, attempt, COUNT(*) FROM trials GROUP BY 1, 2")" = "COMPLETE|1|40" ] \
        || fail "$1: $(sql "SELECT number, state, attempt FROM trials WHERE state != 'COMPLETE' OR attempt != 1")"
    [ "$(sql "SELECT COUNT(*) FROM (SELECT trial_id FROM tells WHERE state = 'COMPLETE'
              GROUP BY trial_id HAVING COUNT(*) > 1)")" = 0 ] || fail "$1: a trial COMPLETE twice"
    [ "$(sql "SELECT COUNT(DISTINCT number) FROM trials")" = 40 ] || fail "$1: duplicate numbers"
}

# 1. SIGINT mid-run
run_bg first
wait_sql 60 "$BUSY" 1
kill -INT "$RUN_PID"
rc=0; wait "$RUN_PID" || rc=$?
[ "$rc" = 130 ] || fail "exit $rc after SIGINT: $(cat "$TMP/first.err")"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'")" = 0 ] \
    || fail "RUNNING trials left: $(sql "SELECT number, worker FROM trials WHERE state = 'RUNNING'")"
waiting=$(sql "SELECT COUNT(*) FROM trials WHERE state = 'WAITING'")
[ "$waiting" -ge 2 ] || fail "only $waiting trials released"
[ "$(sql "SELECT MAX(attempt) FROM trials")" = 1 ] || fail "a released trial used up an attempt"
msg="hps run: interrupted; $waiting running trials released; rerun the same command to resume"
[ "$(grep -c '^hps run:' "$TMP/first.err")" = 1 ] || fail "messages: $(cat "$TMP/first.err")"
grep -qxF "$msg" "$TMP/first.err" || fail "message: $(cat "$TMP/first.err")"
[ ! -s "$TMP/first.out" ] || fail "interrupted run printed results: $(cat "$TMP/first.out")"
# no TTY: plain progress lines with separate counts and an ETA
grep -Eq '^intr: [0-9]+/40 done, [0-9]+s elapsed, ETA [0-9]+s \| [0-9]+ complete, [0-9]+ pruned, [0-9]+ fail, [0-9]+ running' \
    "$TMP/first.err" || fail "no progress line with an ETA: $(cat "$TMP/first.err")"
rerun second
echo "ok: SIGINT -> 130, $waiting trials released; rerun finished in ${RERUN_MS} ms"
# the rerun's lines: one at least every 10% (40 trials in ~5 s), not more than one a second
n=$(grep -c '^intr: ' "$TMP/second.err")
[ "$n" -ge 3 ] && [ "$n" -le $(( RERUN_MS / 1000 + 3 )) ] || fail "$n lines in $RERUN_MS ms"
tail -1 "$TMP/second.err" | grep -Eq '^intr: 40/40 done, [0-9]+s elapsed, finished \| 40 complete, 0 pruned, 0 fail, 0 running \| best ' \
    || fail "last line: $(tail -1 "$TMP/second.err")"
grep -q intr "$TMP/second.out" || fail "no leaderboard after the rerun"
echo "ok: $n progress lines, the last one final"

# 2. kill -9 (no chance to release): the next run takes the trials back at its start
rm -f "$DB" "$DB"-*
run_bg hard
wait_sql 60 "$BUSY" 1
kill -9 "$RUN_PID"
wait "$RUN_PID" 2>/dev/null || true
[ "$(sql "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'")" -ge 2 ] || fail "kill -9 left no RUNNING"
rerun after-kill
echo "ok: kill -9, rerun took back the running trials (${RERUN_MS} ms)"

# 3. a second signal while stopping: still 130, a consistent file, and a rerun resumes
rm -f "$DB" "$DB"-*
run_bg twice
wait_sql 60 "$BUSY" 1
kill -INT "$RUN_PID"; kill -INT "$RUN_PID"
rc=0; wait "$RUN_PID" || rc=$?
[ "$rc" = 130 ] || fail "exit $rc after two SIGINTs"
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity"
rerun after-twice
echo "ok: two SIGINTs -> 130, rerun resumed (${RERUN_MS} ms)"

# 4. SIGTERM: 143, released as well
rm -f "$DB" "$DB"-*
run_bg term
wait_sql 60 "$BUSY" 1
kill -TERM "$RUN_PID"
rc=0; wait "$RUN_PID" || rc=$?
[ "$rc" = 143 ] || fail "exit $rc after SIGTERM"
[ "$(sql "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'")" = 0 ] || fail "SIGTERM left RUNNING"
echo "ok: SIGTERM -> 143, nothing left running"

# 5. -q: no progress at all
DB=$TMP/q.db
write_study "$TMP/q.yaml" quiet 5 "sampler: {type: random, seed: 5}"
"$HPS" run "$TMP/q.yaml" -j 1 --db "$DB" -q >"$TMP/q.out" 2>"$TMP/q.err" || fail "-q run"
[ ! -s "$TMP/q.err" ] || fail "-q printed: $(cat "$TMP/q.err")"
grep -q quiet "$TMP/q.out" || fail "-q: no leaderboard"
echo "ok: -q prints no progress"

# 6. a TTY: Ctrl-C typed into a pseudo-terminal (SIGINT to the whole foreground group)
DB=$TMP/t.db
python3 - "$HPS" "$TMP/s.yaml" "$DB" <<'PY' || fail "tty"
import os, pty, signal, sqlite3, sys, time
hps, cfg, db = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(hps, [hps, "run", cfg, "-j", "2", "--db", db])
out, deadline, sent = b"", time.time() + 60, False
while True:
    if not sent and os.path.exists(db):
        try:
            done = sqlite3.connect(db).execute(
                "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
        except sqlite3.Error:
            done = 0
        if done >= 4 and b"ETA" in out:
            os.write(fd, b"\x03")  # the terminal's Ctrl-C
            sent = True
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
        sys.exit("timeout; output: %r" % out)
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
text = out.decode()
# the last rewrite of the line, then a newline, then the one-line message
last = text.rsplit("\r\x1b[K", 1)[-1]
lines = [l for l in last.replace("^C", "").split("\r\n") if l]
ok = (code == 130 and "\r\x1b[Kintr: " in text and len(lines) == 2
      and lines[0].startswith("intr: ") and "done," in lines[0]
      and lines[1].startswith("hps run: interrupted; ") and last.endswith("\r\n"))
if not ok:
    sys.exit("exit %d, output %r" % (code, text[-600:]))
PY
[ "$(sql "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'")" = 0 ] || fail "tty: RUNNING left"
echo "ok: TTY line ended by a newline on Ctrl-C, exit 130"
