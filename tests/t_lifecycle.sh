# The study lifecycle. A stopped or done study continues (submit, hps resume --to/--db,
# hps run), running exactly its missing trials with contiguous numbers; raising n_trials
# continues the numbering; any other difference is refused (exit 2) with each key and
# both values; submit says whether it created, resumed, changed or changed nothing (exit
# 1 for a done study). kill -9 during a resumed run loses nothing. delete removes a
# study and its dataset blob unless another study names it; rename and copy round-trip;
# every bad input exits 2 with the file byte for byte as it was.
. "$(dirname "$0")/lib.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)
DB=$TMP/l.db
write_study "$TMP/s.yaml" life 12 "sampler: {type: random, seed: 3}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 200}"
S="SELECT COUNT(*) FROM trials WHERE kind = 'search'"
# numbers N: N search trials, numbered 0..N-1 once each, all COMPLETE, each TELLed once
numbers() {
    [ "$(sql "SELECT COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number),
              SUM(state = 'COMPLETE') FROM trials WHERE kind = 'search'")" = "$1|$1|0|$(($1 - 1))|$1" ] \
        || fail "want $1 contiguous COMPLETE trials: $(sql "SELECT number, state FROM trials ORDER BY number")"
    [ "$(sql "SELECT COUNT(*) FROM (SELECT trial_id FROM tells WHERE state = 'COMPLETE'
              GROUP BY trial_id HAVING COUNT(*) > 1)")" = 0 ] || fail "a trial COMPLETE twice"
}
state() { sql "SELECT state FROM studies WHERE name = '${1:-life}'"; }
submit() { expect "$1" "$HPS" submit "$TMP/s.yaml" "${@:2}" --to "$ep"; }
says() { grep -qF -- "$1" "$TMP/$2" || fail "${2} lacks '$1': $(cat "$TMP/$2")"; }

# 1. On a coordinator: created, unchanged, stopped -> resumed, done -> finished (exit 1),
#    n_trials raised -> resumed with numbering on, a refused difference names its key.
start_coord
start w1 "$HPS" worker --connect "$ep" --name l1 --slots 2
W1=$LAST_PID
submit 0
says "created study 'life': 12 trials to run" out
submit 0
says "study 'life' is already running with this config; nothing changed" out
wait_sql 30 "SELECT COUNT(*) >= 3 FROM trials WHERE state = 'COMPLETE'" 1
"$HPS" stop life --to "$ep" >/dev/null
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE state IN ('RUNNING', 'WAITING')" 0
done_at_stop=$(sql "$S")
[ "$done_at_stop" -lt 12 ] || fail "the stop came too late ($done_at_stop trials)"
[ "$(state)" = stopped ] || fail "state $(state)"
submit 0
says "resumed study 'life': $((12 - done_at_stop)) of 12 trials left to run" out
wait_sql 30 "SELECT state FROM studies" done
numbers 12
submit 1
says "study 'life' is already done (12 of 12 trials ended); nothing to run: raise n_trials" err
submit 2 space.x.high=6 n_trials=10
says "  space.x.high: stored 5, new 6" err
says "  n_trials: stored 12, new 10 (it may only be raised)" err
submit 0 n_trials=15
says "resumed study 'life', n_trials 12 -> 15: 3 of 15 trials left to run" out
wait_sql 30 "SELECT state FROM studies" done
numbers 15
expect_err 1 "already done" "$HPS" resume life --to "$ep"
expect 0 "$HPS" resume life n_trials=17 --to "$ep"
says "resumed study 'life', n_trials 15 -> 17: 2 of 17 trials left to run" out
wait_sql 30 "SELECT state FROM studies" done
numbers 17
expect_err 2 "no study 'nope'" "$HPS" resume nope --to "$ep"
echo "ok: submit created/unchanged/resumed/finished/refused; stop + resume ran exactly the missing trials"

# 2. hps resume --db is refused while the coordinator holds the file, then works on it.
expect_err 1 "in use" "$HPS" resume life n_trials=19 --db "$DB"
kill "$COORD"; wait "$COORD" 2>/dev/null || true
expect_err 1 "already done" "$HPS" resume life --db "$DB"
expect 0 "$HPS" resume life n_trials=19 --db "$DB"
says "resumed study 'life', n_trials 17 -> 19: 2 of 19 trials left to run" out
[ "$(state)" = running ] || fail "state after resume --db: $(state)"
# hps run with the same config (n_trials as stored) runs the 2 missing; lower: refused
expect_err 2 "n_trials: stored 19, new 12 (it may only be raised)" \
    "$HPS" run "$TMP/s.yaml" -j 2 --db "$DB" -q
expect 0 "$HPS" run "$TMP/s.yaml" n_trials=19 -j 2 --db "$DB" -q
numbers 19
# 3. kill -9 during a resumed run: the rerun finishes exactly, nothing lost or doubled
"$HPS" run "$TMP/s.yaml" n_trials=40 -j 2 --db "$DB" -q >"$TMP/k.out" 2>"$TMP/k.err" &
RUN=$!; PIDS+=("$RUN")
wait_sql 30 "SELECT COUNT(*) >= 24 FROM trials WHERE state = 'COMPLETE'" 1
kill -9 "$RUN"; wait "$RUN" 2>/dev/null || true
expect 0 "$HPS" run "$TMP/s.yaml" n_trials=40 -j 2 --db "$DB" -q
numbers 40
grep -q life "$TMP/out" || fail "no leaderboard after the rerun"
expect 0 "$HPS" run "$TMP/s.yaml" n_trials=40 -j 2 --db "$DB" -q
says "already done (40 of 40 trials ended)" err
numbers 40
# a study stopped with trials running, then everything killed: hps run takes them back
# at once (not after a 60 s lease) and runs the missing ones
# (a raw protocol peer plays the only worker: it takes two leases and never reports)
: "${RAWPEER:?RAWPEER must point at the tests/rawpeer binary (make check sets it)}"
kill "$W1"; wait "$W1" 2>/dev/null || true
start_coord
submit 0 n_trials=44
"$RAWPEER" --connect "$ep" --wait 1000 --answers 4 HELLO worker=l2 host=h pid=pid slots=2 -- \
    ASK slots_free=2 >"$TMP/raw.out" 2>"$TMP/raw.err" || fail "rawpeer: $(cat "$TMP/raw.err")"
grep -c "^TRIAL" "$TMP/raw.out" | grep -qx 2 || fail "the raw worker got no 2 trials: $(cat "$TMP/raw.out" "$TMP/raw.err")"
"$HPS" stop life --to "$ep" >/dev/null
{ kill -9 "$COORD"; wait "$COORD" || true; } 2>/dev/null
[ "$(state)" = stopped ] && [ "$(sql "SELECT COUNT(*) > 0 FROM trials WHERE state = 'RUNNING'")" = 1 ] \
    || fail "no stopped study with running trials: $(state)"
expect 0 timeout 40 "$HPS" run "$TMP/s.yaml" n_trials=44 -j 2 --db "$DB" --lease-ms 60000 -q
numbers 44
echo "ok: resume --db and hps run continue a study; kill -9 mid-resume loses nothing (40);"
echo "    a stopped study's running trials are released by hps run at once (44)"

# 4. Bad input: exit 2 and the file byte for byte as it was.
expect 0 "$HPS" run "$TMP/s.yaml" -j 1 --db "$DB" study=other n_trials=2 -q
sum() { sha256sum "$DB" | cut -d' ' -f1; }
bad() {
    local before; before=$(sum)
    expect_err 2 "$@"
    [ "$(sum)" = "$before" ] || fail "$*: the file changed"
}
bad "(it may only be raised)" "$HPS" resume life n_trials=30 --db "$DB"
bad "space.y.low: stored -5, new -4" "$HPS" run "$TMP/s.yaml" n_trials=44 space.y.low=-4 --db "$DB" -q
bad "no study 'nope'" "$HPS" resume nope --db "$DB"
bad "n_trials" "$HPS" resume life n_trials=x --db "$DB"
bad "no study 'nope'" "$HPS" delete nope --db "$DB" --yes
bad "stdin is not a terminal" "$HPS" delete life --db "$DB" </dev/null
bad "already has a study 'life'" "$HPS" rename other life --db "$DB"
bad "no study 'nope'" "$HPS" rename nope x --db "$DB"
bad "contains a control" "$HPS" rename life "$(printf 'a\tb')" --db "$DB"
bad "no study 'nope'" "$HPS" copy nope --db "$DB" --to-db "$TMP/c.db"
bad "copy into another file" "$HPS" copy life --db "$DB" --to-db "$DB"
bad "no such study database" "$HPS" delete life --db "$TMP/none.db" --yes
bad "required" "$HPS" rename life --db "$DB"
[ ! -e "$TMP/c.db" ] || fail "a failed copy left $TMP/c.db"
echo "ok: bad input exits 2, the file unchanged"

# On a terminal delete asks: "n" keeps the study (exit 1), "y" deletes it.
ask() { python3 - "$HPS" "$DB" "$1" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "delete", "other", "--db", sys.argv[2]])
out = b""
while b"[y/N]" not in out:
    out += os.read(fd, 1024)
os.write(fd, sys.argv[3].encode() + b"\n")
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        out += chunk
except OSError:
    pass
print(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
}
rc=0; ask n >"$TMP/ask.out" || rc=$?
[ "$rc" = 1 ] && grep -q "delete study 'other' and its 2 trials from $DB? \[y/N\]" "$TMP/ask.out" \
    && grep -q "not deleted" "$TMP/ask.out" || fail "answer n: exit $rc: $(cat "$TMP/ask.out")"
[ "$(state other)" = done ] || fail "answer n deleted the study"
ask y >"$TMP/ask.out" || fail "answer y: $(cat "$TMP/ask.out")"
grep -q "deleted study 'other' (2 trials)" "$TMP/ask.out" || fail "answer y: $(cat "$TMP/ask.out")"
[ -z "$(state other)" ] || fail "answer y kept the study"
echo "ok: delete asks on a terminal"

# 5. copy (into a new file, 0600) and rename round trip: the same trials and values.
rows() { python3 - "$1" "$2" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(con.execute("SELECT config, state FROM studies WHERE name = ?", (sys.argv[2],)).fetchone()[1])
for r in con.execute("SELECT t.number, t.kind, t.state, t.attempt, t.worker, t.x, t.value,"
                     " t.secs, t.created, t.finished FROM trials t JOIN studies s ON s.id = t.study_id"
                     " WHERE s.name = ? ORDER BY kind, number", (sys.argv[2],)):
    print(r)
for r in con.execute("SELECT t.number, n.attempt, n.state, n.value FROM tells n JOIN trials t"
                     " ON t.id = n.trial_id JOIN studies s ON s.id = t.study_id"
                     " WHERE s.name = ? ORDER BY 1, 2", (sys.argv[2],)):
    print(r)
PY
}
expect 0 "$HPS" copy life --db "$DB" --to-db "$TMP/c.db" --as life2
says "copied study 'life' (44 trials) from $DB to $TMP/c.db as 'life2'" out
[ "$(stat -c %a "$TMP/c.db")" = 600 ] || fail "copy made $(stat -c %a "$TMP/c.db")"
bad "already has a study 'life2'" "$HPS" copy life --db "$DB" --to-db "$TMP/c.db" --as life2
expect 0 "$HPS" rename life2 life3 --db "$TMP/c.db"
expect 0 "$HPS" copy life3 --db "$TMP/c.db" --to-db "$TMP/d.db" --as life
[ "$(rows "$DB" life | wc -l)" -gt 88 ] || fail "rows: $(rows "$DB" life)"
[ "$(rows "$DB" life)" = "$(rows "$TMP/d.db" life)" ] || fail "round trip differs: $(diff <(rows "$DB" life) <(rows "$TMP/d.db" life))"
[ "$(sql "SELECT config FROM studies WHERE name = 'life'")" = \
  "$(DB=$TMP/d.db sql "SELECT config FROM studies WHERE name = 'life'")" ] || fail "config differs"
expect 0 "$HPS" status --db "$TMP/c.db" life3
grep -q "life3" "$TMP/out" || fail "status of the copy: $(cat "$TMP/out")"
expect 0 "$HPS" run "$TMP/s.yaml" study=life3 n_trials=46 -j 2 --db "$TMP/c.db" -q
DB=$TMP/c.db numbers 46
echo "ok: copy -> rename -> copy back: the same trials; the copy continues (46)"

# 6. delete: the study's rows go; its dataset blob only when no other study names it.
DB=$TMP/b.db
cp "$data/breast_cancer.csv" "$TMP/bc.csv"; head -n 400 "$data/breast_cancer.csv" >"$TMP/bc2.csv"
for s in a:bc b:bc c:bc2; do
    cat >"$TMP/${s%%:*}.yaml" <<Y
study: ${s%%:*}
n_trials: 2
data: {path: $TMP/${s#*:}.csv, label: label}
objective: {type: logreg}
space:
  C: {type: float, low: 0.01, high: 10, log: true}
Y
done
ep=; start_coord
for s in a b c; do expect 0 "$HPS" submit "$TMP/$s.yaml" --to "$ep"; done
# no sampler.seed in the file: the coordinator keeps the stored one, so it is the same study
expect 0 "$HPS" submit "$TMP/a.yaml" --to "$ep"
says "study 'a' is already running with this config; nothing changed" out
expect 0 "$HPS" copy a --db "$DB" --to-db "$TMP/e.db"
# the coordinator holds the file: no delete, rename or copy into it behind its back
expect_err 1 "in use" "$HPS" delete a --db "$DB" --yes
expect_err 1 "in use" "$HPS" rename a z --db "$DB"
expect_err 1 "in use" "$HPS" copy a --db "$TMP/e.db" --to-db "$DB" --as y
[ "$(sql "SELECT group_concat(name) FROM studies")" = a,b,c ] || fail "changed under the coordinator"
kill "$COORD"; wait "$COORD" 2>/dev/null || true
bc=$(sha256sum <"$TMP/bc.csv" | cut -d' ' -f1); bc2=$(sha256sum <"$TMP/bc2.csv" | cut -d' ' -f1)
[ -f "$TMP/e.db.blobs/$bc" ] || fail "copy did not take the dataset along"
[ -f "$DB.blobs/$bc" ] && [ -f "$DB.blobs/$bc2" ] || fail "no blobs: $(ls "$DB.blobs")"
expect 0 "$HPS" delete a --db "$DB" --yes
[ -f "$DB.blobs/$bc" ] || fail "deleting a removed the blob b still uses"
expect 0 "$HPS" delete b --db "$DB" --yes
says "removed $DB.blobs/$bc" out
[ ! -e "$DB.blobs/$bc" ] && [ -f "$DB.blobs/$bc2" ] || fail "blobs after deleting b: $(ls "$DB.blobs")"
[ "$(sql "SELECT group_concat(name) FROM studies")" = c ] || fail "studies left: $(sql "SELECT name FROM studies")"
echo "ok: delete keeps a blob another study uses, removes it with the last one"

# 7. A study with a final refit: more trials after it is done run a new refit at the end.
DB=$TMP/r.db
sed 's/^n_trials: 2/n_trials: 3/' "$TMP/c.yaml" >"$TMP/r.yaml"
echo "strategy: {type: quick}" >>"$TMP/r.yaml"
expect 0 "$HPS" run "$TMP/r.yaml" -j 2 --db "$DB" -q
first=$(sql "SELECT finished FROM trials WHERE kind = 'final'")
[ -n "$first" ] && [ "$(sql "SELECT test_score IS NOT NULL FROM studies")" = 1 ] || fail "no refit"
expect 0 "$HPS" run "$TMP/r.yaml" n_trials=5 -j 2 --db "$DB" -q
[ "$(sql "SELECT kind, COUNT(*), MAX(number) FROM trials GROUP BY kind ORDER BY kind")" = \
  "$(printf 'final|1|-1\nsearch|5|4')" ] || fail "trials: $(sql "SELECT kind, number, state FROM trials")"
[ "$(sql "SELECT finished > $first FROM trials WHERE kind = 'final'")" = 1 ] \
    && [ "$(sql "SELECT state, test_score IS NOT NULL FROM studies")" = "done|1" ] \
    || fail "no new refit: $(sql "SELECT kind, number, finished FROM trials")"
echo "ok: more trials on a refitted study: a new refit after them"
