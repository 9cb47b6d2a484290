# hps status: a busy worker's LAST SEEN follows its heartbeats (not its join time), live
# over --to and within a fraction of a lease from the file; a kill -9'd worker turns
# "gone"; STUDY filters over --to and --db alike and an unknown one is exit 2 with the
# list of studies; no --to/--db reads ./hps.db and never creates it; an old (schema 1)
# file still opens; submit, status and stop each have their own --help.
. "$(dirname "$0")/lib.sh"
DB=$TMP/s.db
# heartbeat 100 ms, lease 1 s: the file's last_seen is written every 250 ms
start_coord --heartbeat-ms 100 --lease-ms 1000
for i in 1 2; do start w$i "$HPS" worker --connect "$ep" --slots 1 --name w$i; done
w2=$LAST_PID
wait_for 30 "len(st['workers']) == 2"

# status --to/--db as JSON, checked by a python snippet with `st` and `now` (epoch s)
check() { # check WHAT PYTHON... (status args come from $ARGS)
    local what=$1; shift
    "$HPS" status $ARGS --json >"$TMP/st.json" 2>"$TMP/st.err" || fail "$what: $(cat "$TMP/st.err")"
    python3 - "$TMP/st.json" "$@" <<'PY' || fail "$what: $(cat "$TMP/st.json")"
import json, sys, time
now = time.time()
st = json.load(open(sys.argv[1]))
by = {w["name"]: w for w in st["workers"]}
for cond in sys.argv[2:]:
    assert eval(cond), cond
PY
}
# poll until check passes (deadline in seconds)
poll() { # poll SECONDS WHAT PYTHON...
    local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
    until ( check "$what" "$@" ) 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || check "$what" "$@"
        sleep 0.1
    done
}

# a quick study first, then one whose trials keep both workers busy for 6 s
write_study "$TMP/other.yaml" other 1 "sampler: {type: random, seed: 1}"
"$HPS" submit "$TMP/other.yaml" --to "$ep" >/dev/null
wait_for 30 "[s for s in st['studies'] if s['study'] == 'other'][0]['state'] == 'done'"
write_study "$TMP/slow.yaml" slow 2 "sampler: {type: random, seed: 2}" \
    "objective: {type: synthetic, function: sphere, sleep_ms: 6000}"
"$HPS" submit "$TMP/slow.yaml" --to "$ep" >/dev/null
joined=$(sql "SELECT MAX(first_seen) FROM workers")
# both busy, and joined over 1.5 s (a lease and a half) ago (read from the file: a
# live STATUS would write the times itself)
busy="[s for s in st['studies'] if s['study'] == 'slow'][0]['trials']['RUNNING'] == 2"
ARGS="--db $DB" poll 30 "busy" "$busy" "now - $joined > 1.5"
# the file: moved on from the join time by the heartbeats (a flush period, 250 ms, and a
# heartbeat behind on an idle machine; no wall-clock bound is asserted: a loaded machine
# delays the poll, not the value)
ARGS="--db $DB" check "file last_seen" "$busy" \
    "all(w['state'] == 'alive' for w in by.values())" \
    "all(w['last_seen'] - $joined > 1.0 for w in by.values())"
# live: alive, and at least as fresh as the file's
filed=$(sql "SELECT MIN(last_seen) FROM workers")
ARGS="--to $ep" check "live last_seen" "$busy" \
    "all(w['last_seen'] >= $filed and w['state'] == 'alive' for w in by.values())"
"$HPS" status --to "$ep" >"$TMP/text" || fail "status --to text"
grep -Eq '^w1 .* alive +[0-9]+\.[0-9]s ago$' "$TMP/text" || fail "text LAST SEEN: $(cat "$TMP/text")"
grep -Eq '^STUDY +STATE +DONE +COMPLETE +PRUNED +FAIL +RUNNING +WAITING ' "$TMP/text" \
    || fail "text columns: $(cat "$TMP/text")"
grep -Eq '^other +done +1/1 +1 +0 +0 +0 +0 ' "$TMP/text" || fail "text counts: $(cat "$TMP/text")"

# kill -9 a worker: gone once silent past its lease (and the flush period), live and file
kill -9 "$w2"
ARGS="--to $ep" poll 10 "w2 gone (live)" "by['w2']['state'] == 'gone'" "by['w1']['state'] == 'alive'"
ARGS="--db $DB" poll 10 "w2 gone (file)" "by['w2']['state'] == 'gone'" "by['w1']['state'] == 'alive'"
"$HPS" status --db "$DB" | grep -Eq '^w2 .* gone ' || fail "text gone: $("$HPS" status --db "$DB")"

# STUDY filter and unknown study, over --to and --db
for a in "--to $ep" "--db $DB"; do
    "$HPS" status $a --json other >"$TMP/f.json" || fail "status $a other"
    python3 -c "import json; st=json.load(open('$TMP/f.json')); assert [s['study'] for s in st['studies']] == ['other'], st; assert len(st['workers']) == 2" \
        || fail "filter $a: $(cat "$TMP/f.json")"
    "$HPS" status $a slow >"$TMP/f.txt" || fail "status $a slow (text)"
    grep -q '^slow ' "$TMP/f.txt" && ! grep -q '^other ' "$TMP/f.txt" || fail "text filter $a: $(cat "$TMP/f.txt")"
    rc=0; "$HPS" status $a nope >/dev/null 2>"$TMP/f.err" || rc=$?
    [ "$rc" = 2 ] || fail "status $a nope: exit $rc, not 2"
    grep -qF "no study 'nope' (studies: other, slow)" "$TMP/f.err" || fail "message $a: $(cat "$TMP/f.err")"
done

# no --to/--db: ./hps.db, never created when missing
mkdir "$TMP/here"
rc=0; (cd "$TMP/here" && "$HPS" status) >/dev/null 2>"$TMP/d.err" || rc=$?
[ "$rc" = 2 ] && grep -q "no hps.db in this directory" "$TMP/d.err" || fail "missing hps.db: exit $rc: $(cat "$TMP/d.err")"
[ ! -e "$TMP/here/hps.db" ] || fail "status created hps.db"
python3 -c "import sqlite3; sqlite3.connect('$DB').backup(sqlite3.connect('$TMP/here/hps.db'))"
(cd "$TMP/here" && "$HPS" status --json) >"$TMP/d.json" || fail "status with ./hps.db"
python3 -c "import json; st=json.load(open('$TMP/d.json')); assert sorted(s['study'] for s in st['studies']) == ['other', 'slow'], st" \
    || fail "default db: $(cat "$TMP/d.json")"

# a schema-1 file (workers without lease_ms, left_at) still opens, upgraded in place:
# the schema-2 fixture (tests/t_migrate.sh) without them
python3 - "$(dirname "$0")/fixtures/schema2.sql" "$TMP/old.db" <<'PY'
import sqlite3, sys
old = sqlite3.connect(sys.argv[2])
old.executescript(open(sys.argv[1]).read())
old.executescript("ALTER TABLE workers DROP COLUMN lease_ms; ALTER TABLE workers DROP COLUMN left_at;"
                  "PRAGMA user_version = 1;")
old.close()
PY
"$HPS" status --db "$TMP/old.db" --json >"$TMP/o.json" || fail "old file: $(cat "$TMP/o.json")"
python3 -c "import json; st=json.load(open('$TMP/o.json')); assert len(st['studies']) == 2 and all(w['state'] in ('alive', 'gone') for w in st['workers']), st" \
    || fail "old file: $(cat "$TMP/o.json")"

# each client command has its own help, on stdout, exit 0
for c in submit status stop; do
    "$HPS" $c --help >"$TMP/help.$c" || fail "$c --help exit"
    "$HPS" $c -h | cmp -s - "$TMP/help.$c" || fail "$c -h differs from --help"
    grep -q "^usage: hps $c " "$TMP/help.$c" || fail "$c --help: $(cat "$TMP/help.$c")"
done
! cmp -s "$TMP/help.submit" "$TMP/help.status" && ! cmp -s "$TMP/help.status" "$TMP/help.stop" \
    || fail "help texts are shared"
echo "ok: status liveness (live and file), gone after kill -9, STUDY filter, default hps.db, old file, helps"
